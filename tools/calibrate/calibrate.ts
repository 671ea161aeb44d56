// `npm run calibrate [-- --variants [--only=m1,m2]] [--write] [--markdown]`: regenerate the calibration points from
// the shared families ($DAREKIT_SHARED, default ../shared: families/S and calibration/N), fit the error model, print
// the fit with its leave-one-model-out residuals (JSON, or a Markdown table with --markdown), write
// calibration/points.json; without --variants the probe-measured variant points of the committed file are kept (the
// truth points and the fit are recomputed); with --variants the variants of every fine-tune (or of the named ones)
// are made and measured again with the probe engine (minutes), the file rewritten after each fine-tune; with
// --write also regenerate src/predict/calibration.ts (then `npm run build:ts`). Deterministic: the same data gives
// the same bytes. Not part of the library API.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isDarekitError } from '../../src/errors.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { calibrate, renderCalibrationModule, type CalibrationFit, type CalibrationPoint } from '../../src/predict/calibrate.js';
import { calibrationFamilyDirs, sharedDir, truthPoints, variantPoints } from './calibration-data.js';

const COMMAND = 'npm run calibrate -- --write';
const repoFile = (rel: string): string => join(PACKAGE_ROOT, rel);

/** The leave-one-model-out validation as a Markdown table (for the README), with its summary lines. */
function residualTable(fit: CalibrationFit): string {
  const head =
    '| point | variant | character | r (blocks) | n | measured p* | predicted p* | residual log x* | residual p* | measured safe p | predicted | interval | steps | inside |\n' +
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n';
  const rows = fit.residuals.map(
    (x) =>
      `| ${x.family}/${x.model} | ${x.variant} | ${x.character} | ${x.r.toFixed(3)} | ${x.fanIn.toFixed(0)} | ${x.measuredCrossing.toFixed(3)} | ${x.predictedCrossing.toFixed(3)} | ${x.residual >= 0 ? '+' : '−'}${Math.abs(x.residual).toFixed(2)} | ${x.residualP >= 0 ? '+' : '−'}${Math.abs(x.residualP).toFixed(3)} | ${x.measuredSafe} | ${x.predictedSafe} | ${x.dropRateLow}–${x.dropRateHigh} | ${x.intervalSteps} | ${x.covered ? 'yes' : '**no**'} |`,
  );
  const k = fit.constants;
  const spans = (c: 'task' | 'corpus'): string => {
    const s = fit.residuals.filter((x) => x.character === c).map((x) => x.intervalSteps);
    return s.length === 0 ? 'none' : `${Math.min(...s)}–${Math.max(...s)}`;
  };
  const covered = fit.residuals.filter((x) => x.covered).length;
  return (
    head +
    rows.join('\n') +
    `\n\ncoverage ${covered}/${fit.residuals.length} = ${(100 * fit.coverage).toFixed(0)}% (nested ${(100 * fit.nestedCoverage).toFixed(0)}%); ` +
    `interval spans (grid steps): task ${spans('task')}, corpus ${spans('corpus')}; RMS residual ${fit.rmsResidual.toFixed(2)}\n` +
    `a = ${k.rExponent.toFixed(3)}; task: c = ${k.task.intercept.toFixed(3)}, β = ${k.task.widthExponent.toFixed(2)}, p* residuals ${k.task.residualLow.toFixed(3)} to +${k.task.residualHigh.toFixed(3)} (${k.task.points} points); ` +
    `corpus: c = ${k.corpus.intercept.toFixed(3)}, β = ${k.corpus.widthExponent.toFixed(2)}, p* residuals ${k.corpus.residualLow.toFixed(3)} to +${k.corpus.residualHigh.toFixed(3)} (${k.corpus.points} points)\n`
  );
}

function writePoints(file: string, points: CalibrationPoint[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ tolerance: 0.95, points }, null, 1)}\n`);
}

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
    // --only m1,m2: measure the variants of these fine-tunes only (to split a long run; merge the files after)
    const onlyArg = argv.find((a) => a.startsWith('--only='));
    const only = onlyArg === undefined ? null : new Set(onlyArg.slice('--only='.length).split(','));
    const work = mkdtempSync(join(tmpdir(), 'darekit-calibrate-'));
    try {
      const done: CalibrationPoint[] = [];
      for (const f of families) {
        // after each fine-tune the points measured so far are written (a long run that is stopped keeps them)
        const measured = await variantPoints(
          f.name,
          f.dir,
          work,
          only,
          (s) => process.stderr.write(`calibrate: ${s}\n`),
          2,
          (so) => writePoints(pointsFile, [...points, ...done, ...so]),
        );
        done.push(...measured);
      }
      points.push(...done);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const fit = calibrate(points, 0.95);
  writePoints(pointsFile, points);
  process.stdout.write(argv.includes('--markdown') ? residualTable(fit) : `${JSON.stringify(fit, null, 1)}\n`);
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
