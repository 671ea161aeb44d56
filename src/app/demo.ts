// Composition of the demo, darekit's main job on one model family: analyze → probe (measured tolerance on the
// family's examples) → predict (measured beats predicted) → tune a merge of the SFT specialists → report. Returns
// data; the CLI prints it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inputError, usageError } from '../errors.js';
import { OutputDir, recoverLeftovers } from '../io/output-dir.js';
import { assertOutputApartFromInputs, describeEntries, hasOutputMarker } from '../io/output-guard.js';
import { readRegularFileText } from '../io/regular-file.js';
import type { ProbeProgress, ProbeResult } from '../model/probe.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { predictWithProbe } from '../predict/measured.js';
import type { Predictions } from '../predict/types.js';
import { writeReport } from '../report/write.js';
import { tune, type TuneResult } from '../tune/tune.js';
import { analyze } from './analyze.js';
import { probeRows, runProbe } from './probe.js';

/** What marks a dir as an earlier demo's output (the next demo replaces it without --force). */
export const DEMO_MARKER = '.darekit-demo';

/** Options of runDemo. */
export interface DemoOptions {
  /** Family dir with base/ and fine-tune dirs (default: the bundled fixtures/families/S). */
  family?: string;
  out: string;
  force?: boolean;
  /** Measure each fine-tune's tolerance with the probe on the family's examples/ (default true). */
  probe?: boolean;
  threads?: number;
  onAnalyzeProgress?: (doneBytes: number, totalBytes: number) => void;
  onProbeProgress?: (p: ProbeProgress) => void;
}

/** Seconds each step took. */
export interface DemoTimings {
  analyze: number;
  probe: number | null;
  tune: number;
  report: number;
  total: number;
}

/** Everything the demo did; every path is where it is once the demo has finished (under out). */
export interface DemoResult {
  family: string;
  out: string;
  finetunes: string[];
  analysisDir: string;
  /** The predictions of all fine-tunes; a probed model's safe drop rate is the measured one. */
  predictions: Predictions;
  /** The same predictions from the weights alone (what the probe is compared with). */
  fromWeights: Predictions;
  /** The probe's measurement (null with probe: false, or when the family has no examples/: see probeSkipped). */
  probe: ProbeResult | null;
  /** Why the probe did not run, when it did not. */
  probeSkipped: 'disabled' | 'no-examples' | null;
  /** Safe drop rates at 0.95 recorded in the family's truth.json (an independent measurement), when it has one. */
  truthRates: Record<string, number>;
  /** The best accuracies truth.json records for merges of the tuned models, in words (null without). */
  truthBestMerge: string | null;
  tune: TuneResult;
  mergedDir: string;
  report: string[];
  timings: DemoTimings;
}

/** The bundled family S (fixtures/families/S), or the family given. */
export function demoFamily(given: string | undefined): string {
  if (given) {
    const dir = resolve(given);
    if (!existsSync(join(dir, 'base'))) throw usageError(`--family ${given}: no base/ model dir there`);
    return dir;
  }
  const bundled = join(PACKAGE_ROOT, 'fixtures/families/S');
  if (existsSync(join(bundled, 'base', 'model.safetensors'))) return bundled;
  throw inputError(`the bundled model family is missing (looked in ${bundled}); restore it with git checkout, or pass --family DIR`);
}

/** A family's examples file for a fine-tune: examples/<model>.jsonl (prompt/completion pairs) or .txt (text for loss). */
export function familyExamplesFile(familyDir: string, model: string): string | null {
  for (const ext of ['jsonl', 'txt']) {
    const f = join(familyDir, 'examples', `${model}.${ext}`);
    if (existsSync(f)) return f;
  }
  return null;
}

/**
 * Open the demo's output atomically (the earlier one stays until the new one is complete): an empty or missing
 * dir, or an earlier demo output, is replaced as is; another darekit output needs force; anything else, or a
 * path over the family it reads, is refused before any work.
 */
function openOut(out: string, family: string, force: boolean): OutputDir {
  assertOutputApartFromInputs(out, [family]);
  recoverLeftovers(out);
  const demoOutput = existsSync(join(out, DEMO_MARKER));
  if (!demoOutput && existsSync(out) && statSync(out).isDirectory() && readdirSync(out).length > 0) {
    if (!hasOutputMarker(out))
      throw usageError(
        `${out} exists and is not an earlier demo output (it holds ${describeEntries(out)}); pick another --out (--force replaces only an empty dir or one darekit wrote)`,
      );
    if (!force)
      throw usageError(`${out} is another darekit output, not an earlier demo's; pass --force to replace it or pick another --out`);
  }
  return OutputDir.create(out, { force: force || demoOutput, inputs: [family] });
}

interface Truth {
  models?: Record<string, { safe_drop_rate?: Record<string, number>; ft_score?: number }>;
  merges?: { method: string; accuracy: Record<string, number> }[];
}

function readTruth(family: string): Truth | null {
  const file = join(family, 'truth.json');
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readRegularFileText(file, 'truth.json')) as Truth;
  } catch {
    return null; // a family without a readable truth.json simply has no independent measurement to show
  }
}

function truthRates(truth: Truth | null): Record<string, number> {
  return Object.fromEntries(
    Object.entries(truth?.models ?? {}).flatMap(([k, v]) =>
      v.safe_drop_rate?.['0.95'] !== undefined ? [[k, v.safe_drop_rate['0.95']]] : [],
    ),
  );
}

function bestMeasuredMerge(truth: Truth | null, models: string[]): string | null {
  const merges = (truth?.merges ?? []).filter((m) => models.every((x) => x in m.accuracy));
  if (merges.length === 0) return null;
  const best = models.map(
    (x) => `${x} ${Math.max(...merges.map((m) => m.accuracy[x]!)).toFixed(3)} (alone ${truth?.models?.[x]?.ft_score?.toFixed(2) ?? '?'})`,
  );
  return `best accuracy over ${merges.length} merge recipes: ${best.join(', ')}`;
}

/** Run the demo into out (atomically: a failure leaves the earlier output, or none). */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const family = demoFamily(o.family);
  const out = resolve(o.out);
  const dir = openOut(out, family, o.force ?? false);
  try {
    const result = await demoSteps(family, out, dir.tempDir, o, t0);
    dir.writeFile(DEMO_MARKER, 'written by darekit demo; the next demo run replaces this dir\n');
    dir.commit();
    return result;
  } finally {
    dir.abort();
  }
}

async function demoSteps(family: string, out: string, work: string, o: DemoOptions, t0: number): Promise<DemoResult> {
  const secs = (t: number): number => (performance.now() - t) / 1000;
  const final = (p: string): string => (p === work || p.startsWith(work + '/') ? out + p.slice(work.length) : p);
  const finetunes = readdirSync(family, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'base' && existsSync(join(family, d.name, 'config.json')))
    .map((d) => d.name)
    .sort();
  if (finetunes.length === 0) throw inputError(`${family}: no fine-tune dirs (with config.json) beside base/`);
  const analysisDir = join(work, 'analysis');
  let t = performance.now();
  const result = await analyze({
    base: join(family, 'base'),
    finetunes: finetunes.map((f) => join(family, f)),
    outDir: analysisDir,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.onAnalyzeProgress ? { onProgress: o.onAnalyzeProgress } : {}),
  });
  const analyzeSecs = secs(t);

  // the probe: every fine-tune that has examples in the family, stored as the analysis dir's `probe` table
  const withExamples = finetunes.flatMap((f) => {
    const file = familyExamplesFile(family, f);
    return file ? [{ ft: f, spec: `${f}=${file}` }] : [];
  });
  let probe: ProbeResult | null = null;
  let probeSecs: number | null = null;
  if ((o.probe ?? true) && withExamples.length > 0) {
    t = performance.now();
    const probed = await runProbe({
      base: join(family, 'base'),
      finetunes: withExamples.map((e) => join(family, e.ft)),
      examples: withExamples.map((e) => e.spec),
      out: analysisDir,
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      ...(o.onProbeProgress ? { onProgress: o.onProbeProgress } : {}),
    });
    probe = probed.result;
    probeSecs = secs(t);
  }
  // the rule every consumer applies to the stored probe table, on the rows just stored
  const { predictions, fromWeights } = predictWithProbe(result, probe ? probeRows(probe) : []);

  // tune a merge of the SFT specialists (the CPT models are the family's warning, not merge material)
  const sft = predictions.models.filter((m) => m.kind === 'sft' && m.model.startsWith('sft')).map((m) => m.path);
  const tuneInputs = sft.length >= 2 ? sft : predictions.models.filter((m) => m.kind === 'sft').map((m) => m.path);
  t = performance.now();
  const merged = join(work, 'merged-sft');
  const tuned = await tune({
    analysisDir,
    finetunes: tuneInputs,
    out: merged,
    recipePath: join(work, 'recipe.yml'),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
  });
  const tuneSecs = secs(t);
  t = performance.now();
  const rep = await writeReport(analysisDir, { tolerance: predictions.tolerance });
  const reportSecs = secs(t);
  const truth = readTruth(family);
  return {
    family,
    out,
    finetunes,
    analysisDir: final(analysisDir),
    predictions,
    fromWeights,
    probe,
    probeSkipped: probe ? null : o.probe === false ? 'disabled' : 'no-examples',
    truthRates: truthRates(truth),
    truthBestMerge: bestMeasuredMerge(
      truth,
      tuned.recipe.models.map((m) => m.model),
    ),
    tune: { ...tuned, recipePath: final(tuned.recipePath) },
    mergedDir: final(merged),
    report: rep.files.map(final),
    timings: { analyze: analyzeSecs, probe: probeSecs, tune: tuneSecs, report: reportSecs, total: secs(t0) },
  };
}
