// Calibration data: every family dir under a root holding truth.json and base/, analysed with darekit's own
// streaming analyzer. Families are discovered, never named.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeModels } from '../analysis/analyze.js';
import type { AnalysisResult } from '../analysis/types.js';
import { inputError } from '../errors.js';
import type { CalibrationPoint } from './calibrate.js';
import { blockRelativeNorm, tensorsOf } from './features.js';

/** The fields of a family's truth.json that calibration and its tests use. */
export interface Truth {
  drop_rates: number[];
  models: Record<string, { kind: string; sweep: { p: number; retained: number }[]; safe_drop_rate: Record<string, number> }>;
  merges: { method: string; accuracy: Record<string, number> }[];
}

/** A family dir on disk with its parsed truth and fine-tune dirs (sorted by name). */
export interface FamilyDir {
  name: string;
  dir: string;
  truth: Truth;
  finetunes: string[];
}

/** A family with the analysis of its fine-tunes (model labels = fine-tune dir names). */
export interface CalibrationFamily {
  name: string;
  truth: Truth;
  analysis: AnalysisResult;
}

/** Family dirs under root that hold truth.json and base/. */
export function familyDirs(root: string): FamilyDir[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'truth.json')) && existsSync(join(root, e.name, 'base')))
    .map((e) => {
      const file = join(root, e.name, 'truth.json');
      let truth: Truth;
      try {
        truth = JSON.parse(readFileSync(file, 'utf8')) as Truth;
      } catch (err) {
        throw inputError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, err);
      }
      if (typeof truth.models !== 'object' || truth.models === null) throw inputError(`${file}: no "models" object`);
      return { name: e.name, dir: join(root, e.name), truth, finetunes: Object.keys(truth.models).sort().map((m) => join(root, e.name, m)) };
    });
}

/** Analyse every family under root with the streaming analyzer. */
export async function loadCalibrationFamilies(root: string): Promise<CalibrationFamily[]> {
  const out: CalibrationFamily[] = [];
  for (const f of familyDirs(root)) {
    out.push({ name: f.name, truth: f.truth, analysis: await analyzeModels({ base: join(f.dir, 'base'), finetunes: f.finetunes, threads: 1 }) });
  }
  return out;
}

/** Calibration points: each fine-tune's block relative norm with its measured sweep. */
export function calibrationPoints(families: CalibrationFamily[]): CalibrationPoint[] {
  return families.flatMap((f) =>
    f.analysis.models.map((m) => {
      const t = f.truth.models[m.model];
      if (!t) throw inputError(`family ${f.name}: truth.json has no entry for fine-tune "${m.model}"`);
      return { family: f.name, model: m.model, r: blockRelativeNorm(tensorsOf(f.analysis, m.model), m), sweep: t.sweep, measuredSafe: t.safe_drop_rate };
    }),
  );
}
