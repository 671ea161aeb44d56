import { markdownText as md, safeLines } from '../text/safe-text.js';
import { DEFINITIONS, type ReportData } from './data.js';
import { DELTA_HEADER, deltaRows, frac, num, PAIR_HEADER, pairRows, PROBE_HEADER, probeRows, recipeCoverage } from './format.js';

// darekit's own text (headers, definitions) in a table cell; names and anything else from files go through md().
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

// Cells are final Markdown: names escaped with md(), darekit's own text with cell(), numbers as they are.
function table(head: string[], rows: string[][]): string {
  return [`| ${head.map(cell).join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );
}

// A fence longer than any backtick run in the text, so a stranger's recipe.yml cannot close it early.
function fenced(lang: string, text: string): string[] {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${lang}`, safeLines(text), fence];
}

/** The report as Markdown: verdicts first, then statistics, pairs, trials, recipe and definitions. */
export function renderMarkdown(data: ReportData): string {
  const out: string[] = [
    `# darekit readiness report`,
    '',
    `Base: ${md(data.base)} · analysis: ${md(data.dir)} · tolerance ${data.tolerance} (share of gain kept)`,
    '',
  ];
  out.push('## Verdicts', '');
  if (data.set) {
    out.push(`**Set: ${md(data.set.verdict)}** — method: ${md(data.set.method)}`, '');
    for (const r of data.set.reasons) out.push(`- ${md(r)}`);
    out.push('');
  }
  out.push(
    table(
      ['fine-tune', 'kind', 'verdict', 'drop rate p', 'range', 'density', 'predicted p', 'measured p', 'riskiest tensors', 'reasons'],
      data.models.map((m) => [
        md(m.model),
        md(m.kind),
        `**${md(m.verdict)}**`,
        frac(m.recommendedDropRate),
        `${md(m.basis)} ${frac(m.dropRateLow)}–${frac(m.dropRateHigh)}`,
        frac(m.recommendedDensity),
        frac(m.fromWeightsDropRate),
        m.measuredDropRate === null ? '–' : frac(m.measuredDropRate),
        m.riskiestTensors.map((t) => `${md(t.tensor)} (safe ${frac(t.safeDropRate)})`).join(', ') || '–',
        md(m.reasons.join('; ')),
      ]),
    ),
    '',
  );
  if (data.probe.length) {
    out.push('## Measured DARE tolerance (darekit probe)', '');
    out.push(table(PROBE_HEADER, probeRows(data.probe, md)), '');
  }
  out.push('## Delta statistics', '');
  out.push(table(DELTA_HEADER, deltaRows(data.models, md)), '');
  if (data.layers.length) {
    out.push('## Per layer', '');
    out.push(
      table(
        ['fine-tune', 'layer', 'ρ', 'safe drop rate p'],
        data.layers.map((l) => [md(l.model), l.layer === null ? 'other' : String(l.layer), num(l.rho), frac(l.safeDropRate)]),
      ),
      '',
    );
  }
  if (data.pairs.length) {
    out.push('## Pairwise interference', '');
    out.push(table(PAIR_HEADER, pairRows(data.pairs, md)), '');
  }
  if (data.trials.length) {
    out.push('## Tune trials', '');
    out.push(
      table(
        ['trial', 'density scale', 'weights', 'densities', 'score', 'seconds', 'status', 'stderr (tail)'],
        data.trials.map((t) => [
          `${t.trial}${t.best ? ' (best)' : ''}`,
          num(t.densityScale),
          Object.entries(t.weights)
            .map(([k, v]) => `${md(k)}=${num(v)}`)
            .join(', '),
          Object.entries(t.densities)
            .map(([k, v]) => `${md(k)}=${frac(v)}`)
            .join(', '),
          t.score === null ? '–' : num(t.score),
          t.seconds.toFixed(1),
          md(t.status),
          md(t.stderrTail.slice(-200)),
        ]),
      ),
      '',
    );
  }
  if (data.recipe) {
    const coverage = recipeCoverage(data);
    out.push('## Recipe', '', ...(coverage ? [`> ${cell(coverage)}`, ''] : []), ...fenced('yaml', data.recipe.trimEnd()), '');
  }
  out.push(
    '## Definitions',
    '',
    table(
      ['term', 'unit', 'definition'],
      DEFINITIONS.map((d) => [cell(d.term), cell(d.unit), cell(d.definition)]),
    ),
    '',
  );
  return out.join('\n');
}
