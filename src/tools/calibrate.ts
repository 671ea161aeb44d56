// `npm run calibrate [-- --write]`: regenerate the calibration points from the shared families ($DAREKIT_SHARED,
// default ../shared: families/S and calibration/N), fit the error model, print the fit with its leave-one-model-out
// residuals (JSON), write calibration/points.json; with --write also regenerate src/predict/calibration.ts (then
// `npm run build:ts`). Deterministic: the same data gives the same bytes. Not part of the library API.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { isDarekitError } from '../errors.js';
import { calibrate, renderCalibrationModule, type CalibrationPoint } from '../predict/calibrate.js';
import { calibrationFamilyDirs, sharedDir, truthPoints } from './calibration-data.js';

const COMMAND = 'npm run calibrate -- --write';
const repoFile = (rel: string): string => fileURLToPath(new URL(`../../${rel}`, import.meta.url));

async function main(argv: string[]): Promise<void> {
  const families = calibrationFamilyDirs();
  if (families.length === 0) {
    process.stderr.write(`calibrate: no calibration family (truth.json and base/) under ${sharedDir()}; set DAREKIT_SHARED\n`);
    process.exitCode = 2;
    return;
  }
  const points: CalibrationPoint[] = [];
  for (const f of families) {
    process.stderr.write(`calibrate: family ${f.name} (${f.dir})\n`);
    points.push(...(await truthPoints(f.name, f.dir)));
  }
  const fit = calibrate(points, 0.95);
  const pointsFile = repoFile('calibration/points.json');
  mkdirSync(dirname(pointsFile), { recursive: true });
  writeFileSync(pointsFile, `${JSON.stringify({ tolerance: 0.95, points }, null, 1)}\n`);
  process.stdout.write(`${JSON.stringify(fit, null, 1)}\n`);
  process.stderr.write(`wrote ${pointsFile}\n`);
  if (argv.includes('--write')) {
    const target = repoFile('src/predict/calibration.ts');
    writeFileSync(target, renderCalibrationModule(fit, COMMAND));
    process.stderr.write(`wrote ${target}\n`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`calibrate: ${isDarekitError(err) ? err.message : String(err)}\n`);
  process.exitCode = isDarekitError(err) ? err.exitCode : 1;
});
