// Calibration points from the shared families: each fine-tune analysed with darekit's streaming analyzer, its
// measured sweep from the family's truth.json. Not part of the library API (npm run calibrate).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeModels } from '../analysis/analyze.js';
import type { AnalysisResult } from '../analysis/types.js';
import { inputError } from '../errors.js';
import type { CalibrationPoint } from '../predict/calibrate.js';
import { blockFanIn, blockRelativeNorm, tensorsOf } from '../predict/features.js';

/** The fields of a family's truth.json that calibration uses. */
export interface Truth {
  drop_rates: number[];
  models: Record<string, { kind: string; sweep: { p: number; retained: number }[]; safe_drop_rate: Record<string, number> }>;
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
  return new Map(analysis.models.map((m) => {
    const ts = tensorsOf(analysis, m.model);
    return [m.model, { r: blockRelativeNorm(ts, m), fanIn: blockFanIn(ts) }];
  }));
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
    return { family: name, model: m, variant: 'as-is', r: f.r, fanIn: f.fanIn, source: 'truth' as const, sweep: truth.models[m]!.sweep.map((s) => ({ p: s.p, retained: s.retained })) };
  });
}
