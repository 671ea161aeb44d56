// The calibration families S (hidden 96) and N (hidden 64) for the predictor's tests: analysed with darekit's
// streaming analyzer (as calibration does) or with the test-side float64 reference (an independent cross-check).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeModels } from '../../src/analysis/analyze.js';
import type { AnalysisResult } from '../../src/schema/analysis.js';
import { readTruth, type Truth } from '../../tools/calibrate/calibration-data.js';
import { referenceAnalysis } from './reference-analysis.js';
import { familyN, familyS } from '../helpers/shared.js';

/** A family with its truth.json and the analysis of its fine-tunes (model labels = fine-tune dir names). */
export interface Family {
  name: string;
  dir: string;
  truth: Truth & { merges?: { method: string; accuracy: Record<string, number> }[] };
  analysis: AnalysisResult;
}

/** S and N where present (S falls back to the bundled copy). */
export function familyDirs(): { name: string; dir: string }[] {
  return [
    { name: 'S', dir: familyS() },
    { name: 'N', dir: familyN() },
  ].filter((f) => existsSync(join(f.dir, 'truth.json')) && existsSync(join(f.dir, 'base')));
}

const finetunes = (dir: string, truth: Truth): string[] =>
  Object.keys(truth.models)
    .sort()
    .map((m) => join(dir, m));

/** Every calibration family, analysed with the streaming analyzer. */
export async function loadFamilies(): Promise<Family[]> {
  const out: Family[] = [];
  for (const f of familyDirs()) {
    const truth = readTruth(f.dir);
    out.push({ ...f, truth, analysis: await analyzeModels({ base: join(f.dir, 'base'), finetunes: finetunes(f.dir, truth), threads: 1 }) });
  }
  return out;
}

/** The same families analysed with the float64 reference. */
export function loadFamiliesReference(): Family[] {
  return familyDirs().map((f) => {
    const truth = readTruth(f.dir);
    return { ...f, truth, analysis: referenceAnalysis(join(f.dir, 'base'), finetunes(f.dir, truth)) };
  });
}
