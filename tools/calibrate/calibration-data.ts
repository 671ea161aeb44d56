// Calibration points from the shared families: each fine-tune analysed with darekit's streaming analyzer, its
// measured sweep from the family's truth.json. Not part of the library API (npm run calibrate).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeModels } from '../../src/analysis/analyze.js';
import type { AnalysisResult } from '../../src/schema/analysis.js';
import { inputError } from '../../src/errors.js';
import type { CalibrationPoint } from '../../src/predict/calibrate.js';
import { modelFeatures } from '../../src/predict/features.js';
import { familyExamplesFile } from '../../src/app/demo.js';
import { runProbe } from '../../src/app/probe.js';
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

/** The weight features a calibration point carries. */
export interface PointFeatures {
  r: number;
  fanIn: number;
  embeddingShare: number | null;
  embeddingKurtosis: number | null;
}

/** Weight features of every model of an analysis, as calibration points' inputs. */
export function pointFeatures(analysis: AnalysisResult): Map<string, PointFeatures> {
  return new Map(
    analysis.models.map((m) => {
      const f = modelFeatures(analysis, m);
      return [
        m.model,
        { r: f.blockRelativeNorm, fanIn: f.blockFanIn, embeddingShare: f.embeddingShare, embeddingKurtosis: f.embeddingKurtosis },
      ];
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
      ...f,
      source: 'truth' as const,
      baseScore: truth.models[m]!.base_score,
      ftScore: truth.models[m]!.ft_score,
      gainShare: 1,
      sweep: truth.models[m]!.sweep.map((s) => ({ p: s.p, retained: s.retained })),
    };
  });
}

/**
 * Drop rates the variants are measured at (the truth grid up to 0.9, plus 0.05: N's SFT deltas fall below 0.95
 * before 0.1, and the crossing needs a point there) and the mask seeds per rate (their spread is the noise).
 */
export const VARIANT_DROP_RATES = [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
export const VARIANT_SEEDS = 3;
/**
 * A variant is a point only when its own gain over the base is at least this share of the fine-tune's (both measured
 * by the probe on the same examples): the tolerance itself. A variant below it has already lost more of the skill
 * than DARE may take, so its "share retained" measures a weaker skill with a thinner margin — the scaled SFT deltas
 * do (sft-shift × 0.75 keeps 48% of the gain and then tolerates p ≈ 0.2, × 1.25 keeps 91% and tolerates p ≈ 0.04),
 * which no weight statistic of a trained fine-tune would show.
 */
export const MIN_GAIN_SHARE = 0.95;

/**
 * Variant points of one family: every variant of every fine-tune written under workDir, analysed against the base
 * for its features, and measured with the probe on the fine-tune's examples. Deterministic (fixed masks and seeds).
 */
export async function variantPoints(
  name: string,
  dir: string,
  workDir: string,
  only: Set<string> | null,
  log: (s: string) => void,
  threads = 2,
  onModel: (measured: CalibrationPoint[]) => void = () => {},
): Promise<CalibrationPoint[]> {
  const truth = readTruth(dir);
  const base = readF32(join(dir, 'base'));
  const out: CalibrationPoint[] = [];
  for (const model of Object.keys(truth.models).sort()) {
    if (only !== null && !only.has(model)) continue;
    const examples = familyExamplesFile(dir, model);
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
    // first the scores at p = 0 (one pass each): the variants that keep the skill (gain share ≥ MIN_GAIN_SHARE of the
    // fine-tune's own gain on these examples, its 'as-is' variant) are swept; the rest are not points
    const screen = await runProbe({
      base: join(dir, 'base'),
      finetunes: dirs.map((x) => x.d),
      examples: dirs.map((x) => `${x.d}=${examples}`),
      dropRates: [0],
      seeds: 1,
      threads,
    });
    const scoreOf = (d: string) => screen.result.models.find((x) => resolve(x.path) === resolve(d));
    const asIs = scoreOf(dirs.find((y) => y.v.kind === 'as-is')!.d);
    const gain = asIs ? asIs.ftScore - asIs.baseScore : NaN;
    const kept = dirs.filter(({ v, d }) => {
      const f = feats.get(`${model}~${variantLabel(v)}`);
      const m = scoreOf(d);
      const gainShare = m ? (m.ftScore - m.baseScore) / gain : NaN;
      // a variant without blocks' delta has no r for the block model; one below the gain share lost the skill
      const ok = f !== undefined && f.r > 0 && gainShare >= MIN_GAIN_SHARE;
      if (!ok) log(`${name}/${model} ${variantLabel(v)}: not a point (r ${f?.r.toFixed(4) ?? '?'}, gain share ${gainShare.toFixed(3)})`);
      return ok;
    });
    log(`${name}/${model}: sweeping ${kept.length} of ${dirs.length} variants`);
    const { result } = await runProbe({
      base: join(dir, 'base'),
      finetunes: kept.map((x) => x.d),
      examples: kept.map((x) => `${x.d}=${examples}`),
      dropRates: VARIANT_DROP_RATES,
      seeds: VARIANT_SEEDS,
      threads,
    });
    for (const { v, d } of kept) {
      const f = feats.get(`${model}~${variantLabel(v)}`)!;
      const m = result.models.find((x) => resolve(x.path) === resolve(d));
      if (!m || !m.sweep.every((x) => Number.isFinite(x.retained))) {
        log(`${name}/${model} ${variantLabel(v)}: no finite sweep, not a point`);
        continue;
      }
      const gainShare = (m.ftScore - m.baseScore) / gain;
      out.push({
        family: name,
        model,
        variant: variantLabel(v),
        ...f,
        source: 'probe',
        baseScore: m.baseScore,
        ftScore: m.ftScore,
        gainShare,
        sweep: m.sweep.map((s) => ({ p: s.dropRate, retained: s.retained ?? NaN, seeds: s.seedRetained.map((x) => x ?? NaN) })),
      });
    }
    log(`${name}/${model}: ${out.length} variant points so far`);
    onModel(out);
  }
  return out;
}
