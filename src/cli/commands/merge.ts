import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import { parseOutDtype } from '../../io/dtypes.js';
import { assertOutputApartFromInputs } from '../../io/output-guard.js';
import { readRegularFileText } from '../../io/regular-file.js';
import { describeVocabAdjustment } from '../../io/homology.js';
import { loadMergeConfig, parseMergeConfig, parseSeed, type MergeConfig } from '../../merge/config.js';
import { merge, type MergeOptions, type MergeSummary } from '../../merge/executor.js';
import type { CommandOutput } from '../command.js';
import { formatBytes, formatTable } from '../text.js';
import { describeParam } from '../../merge/model-card.js';
import { METHODS, methodHelp } from '../../merge/methods.js';
import type { ParamValue } from '../../merge/params.js';
import { addDownloadOption, prepareInputs } from '../hub.js';
import { configModelInputs, type ModelInputs } from '../../app/hub.js';
import { intOption, threadsOption } from '../options.js';
import { ProgressBar } from '../progress.js';

/** mergekit-yaml flags darekit accepts but that have no effect here (GPU, pickle loading, caches, writer tuning). */
const INERT_FLAGS: [flag: string, attr: string, why: string][] = [
  ['--cuda', 'cuda', 'darekit runs on the CPU (wasm SIMD)'],
  ['--device <name>', 'device', 'darekit runs on the CPU (wasm SIMD)'],
  ['--read-to-gpu', 'readToGpu', 'darekit runs on the CPU (wasm SIMD)'],
  ['--multi-gpu', 'multiGpu', 'darekit runs on the CPU (wasm SIMD)'],
  ['--gpu-rich', 'gpuRich', 'darekit runs on the CPU (wasm SIMD)'],
  ['--low-cpu-memory', 'lowCpuMemory', 'darekit streams in a fixed chunk window anyway'],
  ['--lazy-unpickle', 'lazyUnpickle', 'darekit never loads pickles (safetensors only)'],
  ['--trust-remote-code', 'trustRemoteCode', 'darekit runs no model code'],
  ['--transformers-cache <dir>', 'transformersCache', 'models are local paths here'],
  ['--lora-merge-cache <dir>', 'loraMergeCache', 'LoRA adapters are applied on the fly, nothing is cached'],
  ['--lora-merge-dtype <dtype>', 'loraMergeDtype', 'LoRA products are computed in float32'],
  ['--clone-tensors', 'cloneTensors', 'tensors are never shared'],
  ['--async-write', 'asyncWrite', 'chunks are written with positional writes as they finish'],
  ['--write-threads <n>', 'writeThreads', 'chunks are written by the merge threads'],
  ['--safe-serialization', 'safeSerialization', 'darekit writes safetensors only'],
  ['--write-model-card', 'writeModelCard', 'darekit always writes README.md and mergekit_config.yml'],
  ['--allow-crimes', 'allowCrimes', 'darekit checks homology (names, shapes), not architecture names, so there is nothing to allow'],
  ['--quiet', 'quiet', 'progress is shown only on a terminal (stderr)'],
  ['-v, --verbose', 'verbose', 'darekit has one level of output'],
];

export function configure(cmd: Command): void {
  cmd
    .argument('[config]', 'a mergekit-style YAML config (or use --method/--base/--model)')
    .argument('[out]', 'output model dir, as mergekit-yaml CONFIG OUT_PATH (or --out)')
    .option('--out <dir>', 'output model dir (written atomically)')
    .option('--method <name>', `merge method, instead of a config: ${Object.keys(METHODS).join(', ')}`)
    .option('--base <model>', 'base model, with --method')
    .option(
      '--model <path[:weight[:density[:gamma]]]>',
      'a model to merge, with --method (repeat)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--t <x>', 'slerp interpolation factor, with --method slerp (0 = the base or first model, 1 = the other)')
    .option('--lambda <x>', 'scale of the merged delta, with --method')
    .option('--rescale <mode>', 'inverse | l1 | none | a factor, with --method')
    .option('--seed <n>', 'mask seed (overrides the config)')
    .option('--random-seed <n>', "mergekit-yaml's seed flag: the same as --seed")
    .option('--threads <n>', 'worker threads (default: cores)')
    .option('-j, --num-threads <n>', "mergekit-yaml's thread flag: the same as --threads")
    .option('--chunk-elements <n>', 'elements per chunk (default 1048576); the output does not depend on it')
    .option(
      '--out-dtype <dtype>',
      "output dtype: float32 | bfloat16 | float16 (default: the config's out_dtype, else dtype, else the base model's)",
    )
    .option('--out-shard-size <size>', 'largest output shard, in bytes or with K/M/B (1000-based, as mergekit; default 5B)')
    .option('--copy-tokenizer', "copy the base model's tokenizer files (the default, as mergekit)")
    .option('--no-copy-tokenizer', 'write the merged weights and config without tokenizer files')
    .option('--allow-nonfinite', 'merge even when input weights contain NaN/Inf')
    .option(
      '--truncate-vocab',
      "accept fine-tunes whose embed_tokens/lm_head have another vocabulary size: the output keeps the base's rows",
    )
    .option('--kernel <kind>', 'wasm (default) or js (scalar reference, for comparison)')
    .option('--force', 'replace an existing output dir')
    .option('--json', 'print one JSON object');
  addDownloadOption(cmd);
  cmd.addHelpText('after', `\n${methodHelp()}`);
  for (const [flag, , why] of INERT_FLAGS) {
    cmd.option(flag, `accepted for mergekit-yaml compatibility; no effect: ${why}`);
    const bool = !flag.includes('<') && !flag.startsWith('-v');
    if (bool) cmd.option(flag.replace(/^--/, '--no-'), 'accepted for mergekit-yaml compatibility; no effect');
  }
}

/** mergekit's parse_kmb: an integer, or one with a K/M/B suffix (×1000, ×10⁶, ×10⁹). */
export function parseShardSize(v: string): number {
  const m = /^(\d+)([kmb]?)$/i.exec(v.trim());
  if (!m) throw usageError(`--out-shard-size: ${v} is not a size (an integer, or with K, M or B, e.g. 5B)`);
  const n = Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6, b: 1e9 } as Record<string, number>)[m[2]!.toLowerCase()]!;
  if (n < 1) throw usageError(`--out-shard-size: ${v} is not a positive size`);
  return n;
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
    while (parts.length > 1 && nums.length < 3 && parts[parts.length - 1]!.trim() !== '' && !Number.isNaN(Number(parts[parts.length - 1])))
      nums.unshift(Number(parts.pop()));
    if (parts.join(':').trim() === '') throw usageError(`--model ${spec}: give PATH[:WEIGHT[:DENSITY[:GAMMA]]] (model ${i + 1})`);
    // slerp, model_stock and passthrough take no weight; the others say "weight missing" through the config parser
    const parameters: Record<string, number> = {};
    if (nums[0] !== undefined) parameters.weight = nums[0];
    if (nums[1] !== undefined) parameters.density = nums[1];
    if (nums[2] !== undefined) parameters.gamma = nums[2];
    return Object.keys(parameters).length > 0 ? { model: parts.join(':'), parameters } : { model: parts.join(':') };
  });
  if (models.length === 0) throw usageError('--method needs at least one --model PATH[:WEIGHT[:DENSITY]]');
  const doc: Record<string, unknown> = { merge_method: opts.method, models };
  if (opts.base !== undefined) doc.base_model = opts.base;
  const parameters: Record<string, unknown> = {};
  if (opts.lambda !== undefined) parameters.lambda = Number(opts.lambda);
  if (opts.t !== undefined) parameters.t = Number(opts.t);
  if (opts.rescale !== undefined) parameters.rescale = Number.isNaN(Number(opts.rescale)) ? opts.rescale : Number(opts.rescale);
  if (Object.keys(parameters).length > 0) doc.parameters = parameters;
  return parseMergeConfig(doc, { configDir: process.cwd() }, 'flags');
}

export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  // mergekit-yaml's form: CONFIG OUT_PATH; with --method the one positional is the output
  const positional = args.filter((a): a is string => typeof a === 'string');
  const configFile = opts.method !== undefined ? undefined : positional[0];
  const outPositional = opts.method !== undefined ? positional[0] : positional[1];
  if (opts.method !== undefined && positional.length > 1)
    throw usageError('give either a config file or --method/--base/--model, not both');
  if (configFile === undefined && opts.method === undefined)
    throw usageError('give a config file (darekit merge CONFIG.yml OUT_DIR) or --method with --base and --model');
  if (outPositional !== undefined && opts.out !== undefined && outPositional !== opts.out)
    throw usageError(`the output dir is given twice (${outPositional} and --out ${String(opts.out)}); keep one`);
  const out = outPositional ?? (opts.out as string | undefined);
  if (out === undefined) throw usageError('give the output dir: darekit merge CONFIG.yml OUT_DIR (or --out OUT_DIR)');
  // the config file is an input too (the models it names are checked by merge() before any work)
  assertOutputApartFromInputs(out, [configFile]);
  await prepareInputs(
    configFile !== undefined
      ? configInputs(configFile)
      : {
          ...(opts.base !== undefined ? { base: String(opts.base) } : {}),
          models: ((opts.model as string[] | undefined) ?? []).map(modelPathOfSpec),
        },
    opts,
  );
  const config = configFile !== undefined ? loadMergeConfig(configFile) : configFromFlags(opts);
  if (opts.seed !== undefined && opts.randomSeed !== undefined && String(opts.seed) !== String(opts.randomSeed))
    throw usageError('--seed and --random-seed disagree; keep one');
  const seed = opts.seed ?? opts.randomSeed;
  if (seed !== undefined) config.seed = parseSeed(seed, opts.seed !== undefined ? '--seed' : '--random-seed');
  if (opts.outDtype !== undefined) {
    const d = parseOutDtype(String(opts.outDtype));
    if (!d) throw usageError(`--out-dtype: ${String(opts.outDtype)} is not float32, bfloat16 or float16`);
    config.outDtype = d;
  }
  if (opts.truncateVocab === true) config.truncateVocab = true;
  for (const [flag, attr, why] of INERT_FLAGS) {
    if (opts[attr] !== undefined)
      config.notes.push(
        `${flag.replace(/ <.*$/, '').replace(/^-v, /, '')}: accepted for mergekit-yaml compatibility; it does not apply (${why})`,
      );
  }
  const kernel = opts.kernel === undefined ? 'wasm' : String(opts.kernel);
  if (kernel !== 'wasm' && kernel !== 'js') throw usageError(`--kernel: ${kernel} is not wasm or js`);
  if (opts.threads !== undefined && opts.numThreads !== undefined && String(opts.threads) !== String(opts.numThreads))
    throw usageError('--threads and --num-threads disagree; keep one');
  let bar: ProgressBar | undefined;
  const mergeOpts: MergeOptions = {
    onProgress: (done, total, detail) => (bar ??= new ProgressBar('merge', total)).update(done, detail),
    out,
    force: opts.force === true,
    threads: opts.threads !== undefined ? threadsOption(opts.threads) : threadsOption(opts.numThreads, '--num-threads'),
    chunkElements: intOption(opts.chunkElements, '--chunk-elements', 1),
    allowNonfinite: opts.allowNonfinite === true,
    kernel,
    copyTokenizer: opts.copyTokenizer !== false,
  };
  if (opts.outShardSize !== undefined) mergeOpts.maxShardBytes = parseShardSize(String(opts.outShardSize));
  const summary = await merge(config, mergeOpts).finally(() => bar?.done());
  return { json: summary, text: renderSummary(summary, config) };
}

/** The merge summary: what was written, a table of the models and their parameters (filters shown), notes. */
function renderSummary(s: MergeSummary, config: MergeConfig): string {
  const params = (ps: Partial<Record<string, ParamValue>>) =>
    Object.entries(ps)
      .flatMap(([k, v]) => (v ? [describeParam(k, v)] : []))
      .join('; ');
  return [
    `merged ${s.tensors} tensors with ${s.method} into ${s.outDir}`,
    ...formatTable(
      ['model', 'parameters'],
      config.models.map((m) => [m.spec, params(m.parameters) || '–']),
      '  ',
    ),
    `  seed ${s.seed}${s.rescale.length > 0 ? `, rescale ${s.rescale.join('/')}` : ''}`,
    `  read ${formatBytes(s.inputBytes)}, wrote ${formatBytes(s.outputBytes)} (${s.files.join(', ')}) in ${s.seconds.toFixed(1)} s on ${s.threads} thread${s.threads === 1 ? '' : 's'}`,
    ...s.notes.map((n) => `  note: ${n}`),
    ...s.vocab.map((v) => `  vocab: ${describeVocabAdjustment(v)}`),
  ].join('\n');
}
