import type { Command } from 'commander';
import { dirname, resolve } from 'node:path';
import { checkInputs, configModelInputs, type CheckReport, type ModelInputs } from '../../app/hub.js';
import { inputError, usageError } from '../../errors.js';
import { readRegularFileText } from '../../io/regular-file.js';
import type { CommandOutput } from '../command.js';

/** Declare `darekit check`'s arguments and options. */
export function configure(cmd: Command): void {
  cmd
    .argument('[config]', 'a mergekit-style YAML config whose models to check (or --base with models)')
    .option('--base <model>', 'check these models against this base instead of a config')
    .option('--model <model...>', 'with --base: the models to check')
    .option('--truncate-vocab', 'accept vocabulary-size differences in embed_tokens/lm_head (as merge --truncate-vocab does)')
    .option('--json', 'print one JSON object');
}

/** Read a config's model references, or the --base/--model flags. */
function inputsOf(args: string[], opts: Record<string, unknown>): ModelInputs {
  if (args[0] !== undefined) {
    // refused by type before any read: a FIFO never blocks
    const text = readRegularFileText(args[0], 'merge config');
    const inputs = configModelInputs(text, dirname(resolve(args[0])));
    if (inputs.base === undefined && inputs.models.length === 0) throw inputError(`${args[0]}: no base_model or models in this config`);
    return inputs;
  }
  if (opts.base === undefined) throw usageError('give a merge config (darekit check CONFIG.yml) or --base B --model M…');
  return { base: String(opts.base), models: (opts.model as string[] | undefined) ?? [] };
}

/** Run `darekit check`: every model's headers (remote repos over HTTP range requests, nothing downloaded) and homology. */
export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  const report = await checkInputs(inputsOf(args, opts), { truncateVocab: opts.truncateVocab === true });
  return { json: report, text: render(report) };
}

function render(r: CheckReport): string {
  const lines = r.inputs.map(
    (i) =>
      `  ${i.input}  (${i.source})  ${i.tensors === undefined ? 'LoRA adapter' : `${i.tensors} tensors, ${i.parameters!.toLocaleString('en-US')} parameters, ${i.dtypes!.join('/')}`}`,
  );
  return ['checked the headers of every model (no weights were read):', ...lines, `ok: ${r.homology}`].join('\n');
}
