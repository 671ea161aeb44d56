import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import { parseOutDtype } from '../../io/dtypes.js';
import { assertOutputApartFromInputs } from '../../io/output-guard.js';
import { readRegularFileText } from '../../io/regular-file.js';
import { describeVocabAdjustment } from '../../io/homology.js';
import { loadMergeConfig, parseMergeConfig, parseSeed, type MergeConfig } from '../../merge/config.js';
import { merge, type MergeSummary } from '../../merge/executor.js';
import type { CommandOutput } from '../command.js';
import { addDownloadOption, prepareInputs } from '../hub.js';
import { configModelInputs, type ModelInputs } from '../../app/hub.js';
import { intOption, threadsOption } from '../options.js';
import { ProgressBar } from '../progress.js';

export function configure(cmd: Command): void {
  cmd
    .argument('[config]', 'a mergekit-style YAML config (or use --method/--base/--model)')
    .requiredOption('--out <dir>', 'output model dir (written atomically)')
    .option('--method <name>', 'merge method, instead of a config: linear, task_arithmetic, ties, dare_linear, dare_ties, breadcrumbs, breadcrumbs_ties')
    .option('--base <model>', 'base model, with --method')
    .option('--model <path:weight[:density[:gamma]]>', 'a model to merge, with --method (repeat)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--lambda <x>', 'scale of the merged delta, with --method')
    .option('--rescale <mode>', 'inverse | l1 | none | a factor, with --method')
    .option('--seed <n>', 'mask seed (overrides the config)')
    .option('--threads <n>', 'worker threads (default: cores)')
    .option('--chunk-elements <n>', 'elements per chunk (default 1048576); the output does not depend on it')
    .option('--out-dtype <dtype>', 'output dtype: float32 | bfloat16 | float16 (default: the base model\'s)')
    .option('--allow-nonfinite', 'merge even when input weights contain NaN/Inf')
    .option('--truncate-vocab', "accept fine-tunes whose embed_tokens/lm_head have another vocabulary size: the output keeps the base's rows")
    .option('--kernel <kind>', 'wasm (default) or js (scalar reference, for comparison)')
    .option('--force', 'replace an existing output dir')
    .option('--json', 'print one JSON object');
  addDownloadOption(cmd);
}

/** The model references of a config file (unreadable files are left for the config loader to report). */
function configInputs(file: string): ModelInputs {
  try {
    return configModelInputs(readRegularFileText(file, 'merge config'), dirname(resolve(file)));
  } catch {
    return { models: [] };
  }
}

/** The path part of a --model PATH:WEIGHT[:DENSITY[:GAMMA]] spec. */
function modelPathOfSpec(spec: string): string {
  const parts = spec.split(':');
  while (parts.length > 1 && parts[parts.length - 1]!.trim() !== '' && !Number.isNaN(Number(parts[parts.length - 1]))) parts.pop();
  return parts.join(':');
}

/** Build a config from --method/--base/--model flags (validated by the same parser as YAML). */
function configFromFlags(opts: Record<string, unknown>): MergeConfig {
  const models = (opts.model as string[]).map((spec, i) => {
    const parts = spec.split(':');
    const nums: number[] = [];
    while (parts.length > 1 && nums.length < 3 && parts[parts.length - 1]!.trim() !== '' && !Number.isNaN(Number(parts[parts.length - 1]))) nums.unshift(Number(parts.pop()));
    if (nums.length === 0) throw usageError(`--model ${spec}: give PATH:WEIGHT[:DENSITY[:GAMMA]] (model ${i + 1})`);
    const parameters: Record<string, number> = { weight: nums[0]! };
    if (nums[1] !== undefined) parameters.density = nums[1];
    if (nums[2] !== undefined) parameters.gamma = nums[2];
    return { model: parts.join(':'), parameters };
  });
  if (models.length === 0) throw usageError('--method needs at least one --model PATH:WEIGHT[:DENSITY]');
  const doc: Record<string, unknown> = { merge_method: opts.method, models };
  if (opts.base !== undefined) doc.base_model = opts.base;
  const parameters: Record<string, unknown> = {};
  if (opts.lambda !== undefined) parameters.lambda = Number(opts.lambda);
  if (opts.rescale !== undefined) parameters.rescale = Number.isNaN(Number(opts.rescale)) ? opts.rescale : Number(opts.rescale);
  if (Object.keys(parameters).length > 0) doc.parameters = parameters;
  return parseMergeConfig(doc, { configDir: process.cwd() }, 'flags');
}

export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  if (args[0] !== undefined && opts.method !== undefined) throw usageError('give either a config file or --method/--base/--model, not both');
  if (args[0] === undefined && opts.method === undefined) throw usageError('give a config file (darekit merge CONFIG.yml --out DIR) or --method with --base and --model');
  // the config file is an input too (the models it names are checked by merge() before any work)
  assertOutputApartFromInputs(String(opts.out), [args[0]]);
  await prepareInputs(args[0] !== undefined ? configInputs(args[0]) : { ...(opts.base !== undefined ? { base: String(opts.base) } : {}), models: ((opts.model as string[] | undefined) ?? []).map(modelPathOfSpec) }, opts);
  const config = args[0] !== undefined ? loadMergeConfig(args[0]) : configFromFlags(opts);
  if (opts.seed !== undefined) config.seed = parseSeed(opts.seed, '--seed');
  if (opts.outDtype !== undefined) {
    const d = parseOutDtype(String(opts.outDtype));
    if (!d) throw usageError(`--out-dtype: ${String(opts.outDtype)} is not float32, bfloat16 or float16`);
    config.outDtype = d;
  }
  if (opts.truncateVocab === true) config.truncateVocab = true;
  const kernel = opts.kernel === undefined ? 'wasm' : String(opts.kernel);
  if (kernel !== 'wasm' && kernel !== 'js') throw usageError(`--kernel: ${kernel} is not wasm or js`);
  let bar: ProgressBar | undefined;
  const summary = await merge(config, {
    onProgress: (done, total, detail) => (bar ??= new ProgressBar('merge', total)).update(done, detail),
    out: String(opts.out),
    force: opts.force === true,
    threads: threadsOption(opts.threads),
    chunkElements: intOption(opts.chunkElements, '--chunk-elements', 1),
    allowNonfinite: opts.allowNonfinite === true,
    kernel,
  }).finally(() => bar?.done());
  return { json: summary, text: renderSummary(summary) };
}

function renderSummary(s: MergeSummary): string {
  const gb = (b: number): string => (b / 1e9).toFixed(2);
  return [
    `merged ${s.tensors} tensors with ${s.method} into ${s.outDir}`,
    `  seed ${s.seed}${s.rescale.length > 0 ? `, rescale ${s.rescale.join('/')}` : ''}`,
    `  read ${gb(s.inputBytes)} GB, wrote ${gb(s.outputBytes)} GB (${s.files.join(', ')}) in ${s.seconds.toFixed(1)} s on ${s.threads} thread${s.threads === 1 ? '' : 's'}`,
    ...s.notes.map((n) => `  note: ${n}`),
    ...s.vocab.map((v) => `  vocab: ${describeVocabAdjustment(v)}`),
  ].join('\n');
}
