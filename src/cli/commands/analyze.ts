import type { Command } from 'commander';
import { resolve } from 'node:path';
import { analyzeAndPredict } from '../../app/analyze.js';
import type { AnalysisResult } from '../../schema/analysis.js';
import { describeVocabAdjustment, type VocabAdjustment } from '../../io/homology.js';
import { assertOutputApartFromInputs, specPaths } from '../../io/output-guard.js';
import { predictionsToJson } from '../../predict/predict.js';
import type { Predictions } from '../../predict/types.js';
import { ProgressBar } from '../progress.js';
import { safeName } from '../../text/safe-text.js';
import type { CommandOutput } from '../command.js';
import { formatTable, textWidth, type Column } from '../text.js';
import { setVerdictLines } from '../verdict-text.js';
import { verdictReason } from '../../tune/recipe.js';
import { cliCommand, displayPath, shellWord } from '../../invocation.js';
import { addDownloadOption, prepareInputs } from '../hub.js';
import { intOption, threadsOption } from '../options.js';

export function configure(cmd: Command): void {
  cmd
    .argument('<finetunes...>', 'fine-tuned models (files, dirs or sharded dirs) homologous with the base')
    .requiredOption('--base <model>', 'the base model the fine-tunes were made from')
    .requiredOption('--out <dir>', 'output dir for analysis.duckdb, *.arrow and *.parquet')
    .option('--threads <n>', 'worker threads (results do not depend on it)', '2')
    .option('--chunk-elements <n>', 'elements per chunk (memory window; results do not depend on it)')
    .option(
      '--truncate-vocab',
      "accept fine-tunes whose embed_tokens/lm_head have another vocabulary size: analyze them with the base's rows",
    )
    .option('--force', 'replace an existing non-empty output dir')
    .option('--json', 'print one JSON object (see the machine-readable contract)');
  addDownloadOption(cmd);
}

export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  const outDir = String(opts.out);
  assertOutputApartFromInputs(outDir, [...specPaths(String(opts.base)), ...args.flatMap(specPaths)]);
  await prepareInputs({ base: String(opts.base), models: args }, opts);
  let bar: ProgressBar | undefined;
  let vocab: VocabAdjustment[] = [];
  const { result, predictions: pred } = await analyzeAndPredict({
    base: String(opts.base),
    finetunes: args,
    outDir,
    threads: threadsOption(opts.threads),
    chunkElements: intOption(opts.chunkElements, '--chunk-elements', 1),
    force: opts.force === true,
    truncateVocab: opts.truncateVocab === true,
    onVocabAdjusted: (a) => {
      vocab = a;
    },
    onProgress: (done, total) => {
      bar ??= new ProgressBar('analyze', total, 'bytes');
      bar.update(done);
    },
    beforeCommit: async () => bar?.done(),
  });
  const json = predictionsToJson(pred, resolve(outDir));
  const vocabLines = vocab.map((v) => `vocab: ${safeName(describeVocabAdjustment(v))}`);
  const text = [renderText(result, outDir, pred), ...(vocabLines.length > 0 ? ['', ...vocabLines] : [])].join('\n');
  return { json: vocab.length > 0 ? { ...json, vocabAdjustments: vocab } : json, text };
}

function renderText(r: AnalysisResult, outDir: string, pred: Predictions): string {
  const g = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));
  const lines = [
    `analyzed ${r.models.length} fine-tune${r.models.length === 1 ? '' : 's'} against ${safeName(r.base)} → ${safeName(outDir)}`,
    '',
  ];
  const right = (head: string): Column => ({ head, align: 'right' });
  lines.push(
    ...formatTable(
      ['model', 'kind', right('ρ'), right('mean|Δ|'), right('q99|Δ|'), right('droppable'), right('non-finite'), 'verdict'],
      r.models.map((m) => {
        const p = pred.models.find((x) => x.model === m.model);
        return [
          safeName(m.model),
          p?.kind ?? '',
          g(m.rho),
          g(m.meanAbsDelta),
          g(m.q99Abs),
          g(m.droppableShare),
          String(m.nonFinite),
          p ? `${p.verdict} (drop ${p.recommendedDropRate})` : '',
        ];
      }),
    ),
  );
  const pairs = r.pairs.filter((p) => p.scope === 'model');
  if (pairs.length > 0) {
    lines.push(
      '',
      ...formatTable(
        ['pair', right('cosine'), right('sign conflict'), right('weighted conflict')],
        pairs.map((p) => [`${safeName(p.a)} × ${safeName(p.b)}`, g(p.cosine), g(p.signConflict), g(p.weightedConflict)]),
      ),
    );
  }
  lines.push(
    '',
    ...setVerdictLines(
      'set',
      {
        verdict: pred.set.verdict,
        method: pred.set.method,
        reasonCount: pred.set.reasons.length,
        headline: safeName(verdictReason(pred.set)),
      },
      textWidth(),
    ),
  );
  lines.push('', `query it: ${cliCommand()} query ${safeName(shellWord(displayPath(outDir)))} "SELECT * FROM v_layer_risk"`);
  return lines.join('\n');
}
