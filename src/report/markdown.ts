import { DEFINITIONS, type ReportData } from './data.js';
import { frac, num } from './format.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** The report as Markdown: verdicts first, then statistics, pairs, trials, recipe and definitions. */
export function renderMarkdown(data: ReportData): string {
  const out: string[] = [`# darekit readiness report`, '', `Base: \`${data.base}\` · analysis: \`${data.dir}\` · tolerance ${data.tolerance} (share of gain kept)`, ''];
  out.push('## Verdicts', '');
  if (data.set) {
    out.push(`**Set: ${data.set.verdict}** — method: \`${data.set.method}\``, '');
    for (const r of data.set.reasons) out.push(`- ${r}`);
    out.push('');
  }
  out.push(
    table(
      ['fine-tune', 'kind', 'verdict', 'drop rate p', 'range', 'density', 'riskiest tensors', 'reasons'],
      data.models.map((m) => [m.model, m.kind, `**${m.verdict}**`, frac(m.recommendedDropRate), `${m.basis} ${frac(m.dropRateLow)}–${frac(m.dropRateHigh)}`, frac(m.recommendedDensity),
        m.riskiestTensors.map((t) => `${t.tensor} (safe ${frac(t.safeDropRate)})`).join(', ') || '–', m.reasons.join('; ')]),
    ),
    '',
  );
  out.push('## Delta statistics', '');
  out.push(
    table(
      ['fine-tune', 'ρ', 'mean |Δ|', 'max |Δ|', '‖Δ‖', 'share |Δ| ≤ 0.005', 'droppable share', 'entries'],
      data.models.map((m) => [m.model, num(m.rho), num(m.meanAbsDelta), num(m.maxAbsDelta), num(m.deltaL2), frac(m.fracLe0005), frac(m.droppableShare), String(m.numel)]),
    ),
    '',
  );
  if (data.layers.length) {
    out.push('## Per layer', '');
    out.push(
      table(
        ['fine-tune', 'layer', 'ρ', 'safe drop rate p'],
        data.layers.map((l) => [l.model, l.layer === null ? 'other' : String(l.layer), num(l.rho), frac(l.safeDropRate)]),
      ),
      '',
    );
  }
  if (data.pairs.length) {
    out.push('## Pairwise interference', '');
    out.push(table(['a', 'b', 'cosine', 'sign conflict', 'weighted conflict'], data.pairs.map((p) => [p.a, p.b, num(p.cosine), frac(p.signConflict), frac(p.weightedConflict)])), '');
  }
  if (data.trials.length) {
    out.push('## Tune trials', '');
    out.push(
      table(
        ['trial', 'density scale', 'weights', 'densities', 'score', 'seconds', 'status', 'stderr (tail)'],
        data.trials.map((t) => [
          `${t.trial}${t.best ? ' (best)' : ''}`,
          num(t.densityScale),
          Object.entries(t.weights).map(([k, v]) => `${k}=${num(v)}`).join(', '),
          Object.entries(t.densities).map(([k, v]) => `${k}=${frac(v)}`).join(', '),
          t.score === null ? '–' : num(t.score),
          t.seconds.toFixed(1),
          t.status,
          t.stderrTail.slice(-200),
        ]),
      ),
      '',
    );
  }
  if (data.recipe) out.push('## Recipe', '', '```yaml', data.recipe.trimEnd(), '```', '');
  out.push('## Definitions', '', table(['term', 'unit', 'definition'], DEFINITIONS.map((d) => [d.term, d.unit, d.definition])), '');
  return out.join('\n');
}
