// Loads every shared family (../shared/families/*): its truth.json and a float64 reference analysis of its
// fine-tunes, and turns them into calibration points. Families are discovered, never named.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisResult } from '../../src/analysis/types.js';
import type { CalibrationPoint } from '../../src/predict/calibrate.js';
import { blockRelativeNorm, tensorsOf } from '../../src/predict/features.js';
import { referenceAnalysis } from './reference-analysis.js';

export const FAMILIES_DIR = '/work/shared/families';

/** One family's ground truth (the fields the predictor's tests use). */
export interface Truth {
  drop_rates: number[];
  models: Record<string, { kind: string; sweep: { p: number; retained: number }[]; safe_drop_rate: Record<string, number> }>;
  merges: { method: string; accuracy: Record<string, number> }[];
}

/** A family with its truth and analysis (model names in the analysis = fine-tune dir names). */
export interface Family {
  name: string;
  truth: Truth;
  analysis: AnalysisResult;
}

/** Every family dir holding a truth.json and a base/, analysed with the float64 reference. */
export function loadFamilies(dir = FAMILIES_DIR): Family[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'truth.json')) && existsSync(join(dir, e.name, 'base')))
    .map((e) => {
      const truth = JSON.parse(readFileSync(join(dir, e.name, 'truth.json'), 'utf8')) as Truth;
      const fts = Object.keys(truth.models).sort().map((m) => join(dir, e.name, m));
      return { name: e.name, truth, analysis: referenceAnalysis(join(dir, e.name, 'base'), fts) };
    });
}

/** Calibration points of the families: each fine-tune's block relative norm and measured sweep. */
export function calibrationPoints(families: Family[]): CalibrationPoint[] {
  return families.flatMap((f) =>
    f.analysis.models.map((m) => {
      const t = f.truth.models[m.model]!;
      return { family: f.name, model: m.model, r: blockRelativeNorm(tensorsOf(f.analysis, m.model), m), sweep: t.sweep, measuredSafe: t.safe_drop_rate };
    }),
  );
}
