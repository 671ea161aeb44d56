// `npm run calibrate [-- --variants] [--write]`: regenerate the calibration points from the shared families
// ($DAREKIT_SHARED, default ../shared: families/S and calibration/N), fit the error model, print the fit with its
// leave-one-model-out residuals (JSON), write calibration/points.json; with --variants also make and measure the
// variants of every fine-tune with the probe engine (needs app/probe.js); with --write also regenerate
// src/predict/calibration.ts (then `npm run build:ts`). Deterministic: the same data gives the same bytes.
// Not part of the library API.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isDarekitError } from '../../src/errors.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { calibrate, renderCalibrationModule, type CalibrationPoint } from '../../src/predict/calibrate.js';
import { calibrationFamilyDirs, loadProbeRunner, sharedDir, truthPoints, variantPoints } from './calibration-data.js';

const COMMAND = 'npm run calibrate -- --write';
const repoFile = (rel: string): string => join(PACKAGE_ROOT, rel);

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
  const pointsFile = repoFile('calibration/points.json');
  if (!argv.includes('--variants') && existsSync(pointsFile)) {
    // measured variant points are data: kept from the committed file unless --variants measures them again
    const kept = (JSON.parse(readFileSync(pointsFile, 'utf8')) as { points: CalibrationPoint[] }).points.filter(
      (p) => p.source === 'probe',
    );
    if (kept.length > 0)
      process.stderr.write(
        `calibrate: keeping ${kept.length} probe-measured variant points from ${pointsFile} (--variants measures them again)\n`,
      );
    points.push(...kept);
  }
  if (argv.includes('--variants')) {
    const runner = await loadProbeRunner();
    if (runner === null) {
      process.stderr.write('calibrate: --variants needs the probe engine (dist/app/probe.js, issue 13), which this build lacks\n');
      process.exitCode = 2;
      return;
    }
    const work = mkdtempSync(join(tmpdir(), 'darekit-calibrate-'));
    try {
      for (const f of families)
        points.push(...(await variantPoints(f.name, f.dir, work, runner, (s) => process.stderr.write(`calibrate: ${s}\n`))));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const fit = calibrate(points, 0.95);
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
