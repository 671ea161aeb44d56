// The shared families (../shared/families/*) for the predictor's tests: analysed with darekit's streaming
// analyzer (as calibration does) or with the test-side float64 reference (an independent cross-check).
import { join } from 'node:path';
import { familyDirs, loadCalibrationFamilies, type CalibrationFamily } from '../../src/predict/calibration-data.js';
import { referenceAnalysis } from './reference-analysis.js';
import { sharedPath } from '../helpers/shared.js';

export { calibrationPoints } from '../../src/predict/calibration-data.js';
export type Family = CalibrationFamily;

export const FAMILIES_DIR = sharedPath('families');

/** Every shared family, analysed with the streaming analyzer. */
export function loadFamilies(dir = FAMILIES_DIR): Promise<Family[]> {
  return loadCalibrationFamilies(dir);
}

/** The same families analysed with the float64 reference. */
export function loadFamiliesReference(dir = FAMILIES_DIR): Family[] {
  return familyDirs(dir).map((f) => ({ name: f.name, truth: f.truth, analysis: referenceAnalysis(join(f.dir, 'base'), f.finetunes) }));
}
