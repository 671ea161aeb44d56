import type { Command } from 'commander';
import { resolve } from 'node:path';
import { analyze } from '../../analysis/index.js';
import type { AnalysisResult } from '../../analysis/types.js';
import { usageError } from '../../errors.js';
import { ProgressBar } from '../progress.js';
import type { CommandOutput } from '../command.js';

export function configure(cmd: Command): void {
  cmd
    .argument('<finetunes...>', 'fine-tuned models (files, dirs or sharded dirs) homologous with the base')
    .requiredOption('--base <model>', 'the base model the fine-tunes were made from')
    .requiredOption('--out <dir>', 'output dir for analysis.duckdb, *.arrow and *.parquet')
    .option('--threads <n>', 'worker threads (results do not depend on it)', '2')
    .option('--chunk-elements <n>', 'elements per chunk (memory window; results do not depend on it)')
    .option('--force', 'replace an existing non-empty output dir')
    .option('--json', 'print one JSON object (see the machine-readable contract)');
}

/** The prediction fields the --json contract takes from src/predict (absent until the predictor lands). */
interface ModelPrediction {
  model: string;
  kind: 'sft' | 'cpt';
  recommendedDropRate: number;
  recommendedDensity: number;
  verdict: 'ready' | 'caution' | 'not-ready';
  reasons: string[];
}
interface SetPrediction {
  verdict: 'ready' | 'caution' | 'not-ready';
  reasons: string[];
  method: string;
}
interface Predictions {
  models: ModelPrediction[];
  set: SetPrediction;
}

/** Call src/predict's predict(result) when that module exists; null otherwise (the fields stay null). */
async function tryPredict(result: AnalysisResult): Promise<Predictions | null> {
  const spec = '../../predict/index.js';
  let mod: { predict?: (r: AnalysisResult) => unknown };
  try {
    mod = (await import(spec)) as typeof mod;
  } catch {
    return null;
  }
  if (typeof mod.predict !== 'function') return null;
  const p = (await mod.predict(result)) as Partial<Predictions> | null;
  return p && Array.isArray(p.models) && p.set ? (p as Predictions) : null;
}

function intOption(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${name} must be a positive integer, got "${String(v)}"`);
  return n;
}

export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  const outDir = String(opts.out);
  let bar: ProgressBar | undefined;
  const result = await analyze({
    base: String(opts.base),
    finetunes: args,
    outDir,
    threads: intOption(opts.threads, '--threads'),
    chunkElements: intOption(opts.chunkElements, '--chunk-elements'),
    force: opts.force === true,
    onProgress: (done, total) => {
      bar ??= new ProgressBar('analyze', total, 'bytes');
      bar.update(done);
    },
  });
  bar?.done();
  const pred = await tryPredict(result);
  const json = {
    models: result.models.map((m) => {
      const p = pred?.models.find((x) => x.model === m.model);
      return {
        path: m.path,
        model: m.model,
        kind: p?.kind ?? null,
        recommendedDropRate: p?.recommendedDropRate ?? null,
        recommendedDensity: p?.recommendedDensity ?? null,
        verdict: p?.verdict ?? null,
        reasons: p?.reasons ?? [],
        relativeEnergy: m.rho,
        meanAbsDelta: m.meanAbsDelta,
      };
    }),
    pairs: result.pairs.filter((p) => p.scope === 'model').map((p) => ({ a: p.a, b: p.b, cosine: p.cosine, signConflict: p.signConflict })),
    set: pred?.set ?? { verdict: null, reasons: [], method: null },
    outDir: resolve(outDir),
  };
  return { json, text: renderText(result, outDir, pred) };
}

function renderText(r: AnalysisResult, outDir: string, pred: Predictions | null): string {
  const g = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));
  const lines = [`analyzed ${r.models.length} fine-tune${r.models.length === 1 ? '' : 's'} against ${r.base} → ${outDir}`, ''];
  lines.push(['model', 'rho', 'mean|Δ|', 'q99|Δ|', 'droppable', 'non-finite', pred ? 'verdict' : ''].join('\t'));
  for (const m of r.models) {
    const p = pred?.models.find((x) => x.model === m.model);
    lines.push([m.model, g(m.rho), g(m.meanAbsDelta), g(m.q99Abs), g(m.droppableShare), String(m.nonFinite), p ? `${p.verdict} (drop ${p.recommendedDropRate})` : ''].join('\t'));
  }
  const pairs = r.pairs.filter((p) => p.scope === 'model');
  if (pairs.length > 0) {
    lines.push('', ['pair', 'cosine', 'sign conflict', 'weighted conflict'].join('\t'));
    for (const p of pairs) lines.push([`${p.a} × ${p.b}`, g(p.cosine), g(p.signConflict), g(p.weightedConflict)].join('\t'));
  }
  if (!pred) lines.push('', 'verdicts: not available (the predictor is not built into this version)');
  lines.push('', `query it: darekit query ${outDir} "SELECT * FROM v_layer_risk"`);
  return lines.join('\n');
}
