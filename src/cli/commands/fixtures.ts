import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import { parseOutDtype } from '../../io/dtypes.js';
import { generateFamily, type GeneratedFamily } from '../../fixtures/family.js';
import { PRESETS } from '../../fixtures/presets.js';
import type { CommandOutput } from '../command.js';
import { formatBytes, formatTable } from '../text.js';
import { intOption, numberOption, seedOption } from '../options.js';
import { ProgressBar } from '../progress.js';

export function configure(cmd: Command): void {
  cmd
    .requiredOption('--out <dir>', 'family dir to write (base/ and one dir per fine-tune)')
    .option('--preset <name>', `size and fine-tunes: ${Object.keys(PRESETS).join(', ')}`, 'tiny')
    .option('--hidden <n>', 'hidden size (overrides the preset)')
    .option('--intermediate <n>', "MLP size (default: the preset's, or 2.75 × hidden when --hidden is given)")
    .option('--layers <n>', 'number of layers')
    .option('--vocab <n>', 'vocabulary size')
    .option('--dtype <dtype>', 'bf16, f16 or f32', 'bf16')
    .option('--shard-mb <n>', 'shard each model at this many MB of data per file')
    .option('--seed <n>', 'PRNG seed (same seed → same bytes)', '1')
    .option('--force', 'replace existing model dirs')
    .option('--json', 'print one JSON object');
}

export async function run(_args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  const preset = PRESETS[String(opts.preset)];
  if (!preset) throw usageError(`unknown --preset "${String(opts.preset)}"; choose one of ${Object.keys(PRESETS).join(', ')}`);
  const dtype = parseOutDtype(String(opts.dtype));
  if (!dtype) throw usageError(`--dtype must be bf16, f16 or f32, got "${String(opts.dtype)}"`);
  const hidden = intOption(opts.hidden, '--hidden', 1) ?? preset.hidden;
  const intermediate =
    intOption(opts.intermediate, '--intermediate', 1) ?? (opts.hidden !== undefined ? Math.round(hidden * 2.75) : preset.intermediate);
  const shardMb = numberOption(opts.shardMb, '--shard-mb', (n) => n > 0, 'a positive number of MB');
  let bar: ProgressBar | undefined;
  const family = generateFamily({
    outDir: String(opts.out),
    seed: seedOption(opts.seed) ?? 1,
    hidden,
    intermediate,
    layers: intOption(opts.layers, '--layers', 1) ?? preset.layers,
    vocab: intOption(opts.vocab, '--vocab', 1) ?? preset.vocab,
    dtype,
    ...(shardMb !== undefined ? { maxShardBytes: Math.floor(shardMb * 1024 * 1024) } : {}),
    models: preset.models,
    force: opts.force === true,
    onProgress: (done, total) => {
      bar ??= new ProgressBar('fixtures', total);
      bar.update(done);
    },
  });
  bar?.done();
  return { json: family, text: render(family) };
}

function render(f: GeneratedFamily): string {
  const lines = [
    `family ${f.outDir} (seed ${f.seed}, hidden ${f.shape.hidden}, intermediate ${f.shape.intermediate}, layers ${f.shape.layers}, vocab ${f.shape.vocab})`,
  ];
  const rows = f.models.map((m) => {
    const what =
      m.kind === 'base'
        ? 'base'
        : `${m.kind}, target ρ ${m.targetRho}${m.hotLayers ? `, hot layers ${m.hotLayers.join(',')}` : ''}${m.rank ? `, rank ${m.rank}` : ''}`;
    return [m.name, m.dtype, String(m.files.length - 1), formatBytes(m.bytes), what];
  });
  lines.push(...formatTable(['model', 'dtype', { head: 'files', align: 'right' }, { head: 'size', align: 'right' }, 'what'], rows, '  '));
  lines.push(`total ${formatBytes(f.totalBytes)}`);
  return lines.join('\n');
}
