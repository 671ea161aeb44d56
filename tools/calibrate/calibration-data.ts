// Calibration points from the shared families: each fine-tune analysed with darekit's streaming analyzer, its
// measured sweep from the family's truth.json. Not part of the library API (npm run calibrate).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeModels } from '../../src/analysis/analyze.js';
import type { AnalysisResult } from '../../src/schema/analysis.js';
import { inputError } from '../../src/errors.js';
import type { CalibrationPoint } from '../../src/predict/calibrate.js';
import { blockFanIn, blockRelativeNorm, tensorsOf } from '../../src/predict/features.js';
import { readF32, variantLabel, variantWeights, VARIANTS, writeVariant } from './calibration-variants.js';

/** The fields of a family's truth.json that calibration uses. */
export interface Truth {
  drop_rates: number[];
  models: Record<
    string,
    { kind: string; base_score: number; ft_score: number; sweep: { p: number; retained: number }[]; safe_drop_rate: Record<string, number> }
  >;
}

/** The shared data dir: $DAREKIT_SHARED, else ../shared beside the working directory (the repository root). */
export function sharedDir(): string {
  return resolve(process.env.DAREKIT_SHARED ?? '../shared');
}

/** The calibration families, by name and dir: S (hidden 96) and N (hidden 64). */
export function calibrationFamilyDirs(shared = sharedDir()): { name: string; dir: string }[] {
  return [
    { name: 'S', dir: join(shared, 'families', 'S') },
    { name: 'N', dir: join(shared, 'calibration', 'N') },
  ].filter((f) => existsSync(join(f.dir, 'truth.json')) && existsSync(join(f.dir, 'base')));
}

/** Parse a family's truth.json. */
export function readTruth(dir: string): Truth {
  const file = join(dir, 'truth.json');
  let truth: Truth;
  try {
    truth = JSON.parse(readFileSync(file, 'utf8')) as Truth;
  } catch (err) {
    throw inputError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, err);
  }
  if (typeof truth.models !== 'object' || truth.models === null) throw inputError(`${file}: no "models" object`);
  return truth;
}

/** Weight features of every model of an analysis, as calibration points' inputs. */
export function pointFeatures(analysis: AnalysisResult): Map<string, { r: number; fanIn: number }> {
  return new Map(
    analysis.models.map((m) => {
      const ts = tensorsOf(analysis, m.model);
      return [m.model, { r: blockRelativeNorm(ts, m), fanIn: blockFanIn(ts) }];
    }),
  );
}

/** The truth.json points of one family: each fine-tune as it is, with its measured sweep. */
export async function truthPoints(name: string, dir: string): Promise<CalibrationPoint[]> {
  const truth = readTruth(dir);
  const fts = Object.keys(truth.models).sort();
  const analysis = await analyzeModels({ base: join(dir, 'base'), finetunes: fts.map((f) => join(dir, f)), threads: 1 });
  const feats = pointFeatures(analysis);
  return fts.map((m) => {
    const f = feats.get(m);
    if (!f) throw inputError(`family ${name}: no analysis for fine-tune "${m}"`);
    return {
      family: name,
      model: m,
      variant: 'as-is',
      r: f.r,
      fanIn: f.fanIn,
      source: 'truth' as const,
      sweep: truth.models[m]!.sweep.map((s) => ({ p: s.p, retained: s.retained })),
    };
  });
}

/** What the calibration needs of the probe engine (app/probe.ts's runProbe, issue 13): measured sweeps per model. */
export interface ProbeRunner {
  runProbe(o: { base: string; finetunes: string[]; examples: string[]; dropRates?: number[]; seeds?: number; threads?: number }): Promise<{
    result: { models: { path: string; baseScore: number; ftScore: number; sweep: { dropRate: number; retained: number | null }[] }[] };
  }>;
}

/** The probe engine when this build has it (app/probe.js), else null. */
export async function loadProbeRunner(): Promise<ProbeRunner | null> {
  // a computed specifier: the calibration builds and runs (truth points only) before the probe lands
  const url = new URL('../../src/app/probe.js', import.meta.url).href;
  try {
    const mod = (await import(url)) as Partial<ProbeRunner>;
    return typeof mod.runProbe === 'function' ? (mod as ProbeRunner) : null;
  } catch {
    return null;
  }
}

/** The examples file of a fine-tune in a family dir: examples/<model>.jsonl or .txt. */
export function examplesFile(familyDir: string, model: string): string | null {
  for (const ext of ['jsonl', 'txt']) {
    const f = join(familyDir, 'examples', `${model}.${ext}`);
    if (existsSync(f)) return f;
  }
  return null;
}

/** Drop rates the variants are measured at (the truth grid up to 0.9) and the mask seeds per rate. */
export const VARIANT_DROP_RATES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
export const VARIANT_SEEDS = 1;
/** A variant is a point only when its gain over the base is at least this share of the fine-tune's (truth.json). */
export const MIN_GAIN_SHARE = 0.5;

/**
 * Variant points of one family: every variant of every fine-tune written under workDir, analysed against the base
 * for its features, and measured with the probe on the fine-tune's examples. Deterministic (fixed masks and seeds).
 */
export async function variantPoints(
  name: string,
  dir: string,
  workDir: string,
  runner: ProbeRunner,
  log: (s: string) => void,
  threads = 2,
): Promise<CalibrationPoint[]> {
  const truth = readTruth(dir);
  const base = readF32(join(dir, 'base'));
  const out: CalibrationPoint[] = [];
  for (const model of Object.keys(truth.models).sort()) {
    const examples = examplesFile(dir, model);
    if (examples === null) {
      log(`${name}/${model}: no examples, no variants`);
      continue;
    }
    const ft = readF32(join(dir, model));
    const dirs = VARIANTS.map((v) => {
      const d = join(workDir, name, `${model}~${variantLabel(v)}`);
      writeVariant(d, variantWeights(v, base, ft), join(dir, model));
      return { v, d };
    });
    const analysis = await analyzeModels({ base: join(dir, 'base'), finetunes: dirs.map((x) => x.d), threads: 1 });
    const feats = pointFeatures(analysis);
    log(`${name}/${model}: probing ${dirs.length} variants`);
    const { result } = await runner.runProbe({
      base: join(dir, 'base'),
      finetunes: dirs.map((x) => x.d),
      examples: dirs.map((x) => `${x.d}=${examples}`),
      dropRates: VARIANT_DROP_RATES,
      seeds: VARIANT_SEEDS,
      threads,
    });
    const gain = truth.models[model]!.ft_score - truth.models[model]!.base_score;
    for (const { v, d } of dirs) {
      const f = feats.get(`${model}~${variantLabel(v)}`);
      const m = result.models.find((x) => resolve(x.path) === resolve(d));
      // a variant without blocks' delta (embeddings+lm_head only) has no r for the block model, and one that kept
      // less than half of the fine-tune's own gain (truth.json) lost the skill whose share DARE would keep: not points
      if (
        !f ||
        !m ||
        !(f.r > 0) ||
        !(m.ftScore - m.baseScore >= MIN_GAIN_SHARE * gain) ||
        !m.sweep.every((x) => Number.isFinite(x.retained))
      )
        continue;
      out.push({
        family: name,
        model,
        variant: variantLabel(v),
        r: f.r,
        fanIn: f.fanIn,
        source: 'probe',
        sweep: m.sweep.map((s) => ({ p: s.dropRate, retained: s.retained ?? NaN })),
      });
    }
  }
  return out;
}
