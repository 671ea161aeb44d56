// Loads every shared family (../shared/families/*): its truth.json and the analysis of its fine-tunes (the real
// streaming analyzer, or the float64 reference), and turns them into calibration points. Families are
// discovered, never named.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeModels } from '../../src/analysis/analyze.js';
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

interface FamilyDir { name: string; dir: string; truth: Truth; fts: string[] }

function familyDirs(dir: string): FamilyDir[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'truth.json')) && existsSync(join(dir, e.name, 'base')))
    .map((e) => {
      const truth = JSON.parse(readFileSync(join(dir, e.name, 'truth.json'), 'utf8')) as Truth;
      return { name: e.name, dir: join(dir, e.name), truth, fts: Object.keys(truth.models).sort().map((m) => join(dir, e.name, m)) };
    });
}

/** Every family dir holding a truth.json and a base/, analysed with darekit's streaming analyzer. */
export async function loadFamilies(dir = FAMILIES_DIR): Promise<Family[]> {
  const out: Family[] = [];
  for (const f of familyDirs(dir)) {
    out.push({ name: f.name, truth: f.truth, analysis: await analyzeModels({ base: join(f.dir, 'base'), finetunes: f.fts, threads: 1 }) });
  }
  return out;
}

/** The same families analysed with the test-side float64 reference (an independent cross-check). */
export function loadFamiliesReference(dir = FAMILIES_DIR): Family[] {
  return familyDirs(dir).map((f) => ({ name: f.name, truth: f.truth, analysis: referenceAnalysis(join(f.dir, 'base'), f.fts) }));
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
