// `node dist/predict/calibrate-cli.js [FAMILIES_DIR] [--write]`: re-derive κ from the shared families and print
// the fit (JSON); with --write, regenerate src/predict/calibration.ts (run `npm run build:ts` afterwards).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDarekitError } from '../errors.js';
import { calibrate, renderCalibrationModule } from './calibrate.js';
import { calibrationPoints, loadCalibrationFamilies } from './calibration-data.js';

const COMMAND = 'npm run calibrate -- --write';

async function main(argv: string[]): Promise<void> {
  const root = argv.find((a) => !a.startsWith('--')) ?? '../shared/families';
  const points = calibrationPoints(await loadCalibrationFamilies(root));
  if (points.length === 0) {
    process.stderr.write(`calibrate: no family with truth.json and base/ under ${root}\n`);
    process.exitCode = 2;
    return;
  }
  const fit = calibrate(points, 0.95);
  process.stdout.write(`${JSON.stringify(fit, null, 1)}\n`);
  if (argv.includes('--write')) {
    const target = fileURLToPath(new URL('../../src/predict/calibration.ts', import.meta.url));
    writeFileSync(target, renderCalibrationModule(fit, COMMAND));
    process.stderr.write(`wrote ${target}\n`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`calibrate: ${isDarekitError(err) ? err.message : String(err)}\n`);
  process.exitCode = isDarekitError(err) ? err.exitCode : 1;
});
