import { DEFINITIONS, type ReportData } from './data.js';
import { reportCharts } from './charts.js';
import { DELTA_HEADER, deltaRows, frac, num, PAIR_HEADER, pairRows, PROBE_HEADER, probeRows, recipeCoverage } from './format.js';
import { escapeMarkup } from '../text/safe-text.js';
import { escapeXml as esc } from './svg/xml.js';

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;color:#222;line-height:1.4;padding:0 16px}
h1{margin-bottom:4px}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.verdict{display:inline-block;white-space:nowrap;padding:1px 8px;border-radius:10px;font-weight:600;color:#fff}
.ready{background:#1a7f37}.caution{background:#b08800}.not-ready{background:#cf222e}.other{background:#666}
.set{border:1px solid #ccc;border-radius:6px;padding:8px 16px;background:#fafafa}
figure{margin:16px 0}figcaption{font-size:12px;color:#555;max-width:640px}
pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px}.muted{color:#666;font-size:13px}
.scroll{overflow-x:auto;max-width:100%}td:first-child,th:first-child{white-space:nowrap}
svg{max-width:100%;height:auto}figure{overflow-x:auto}.note{border-left:3px solid #b08800;padding:2px 10px;background:#fffbe6}`;

/** Escaped text with `code` spans shown as <code> (definitions are written once, with Markdown's backticks). */
function inlineCode(text: string): string {
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function badge(v: string): string {
  const cls = ['ready', 'caution', 'not-ready'].includes(v) ? v : 'other';
  return `<span class="verdict ${cls}">${esc(v)}</span>`;
}

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  // A wide table scrolls inside its box instead of widening the page.
  return `<div class="scroll"><table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table></div>`;
}

/** The report as one self-contained HTML page: inline CSS and SVG only, no scripts, fonts or network. */
export function renderHtml(data: ReportData): string {
  const charts = reportCharts(data);
  const parts: string[] = [];
  parts.push(`<h1>darekit readiness report</h1>`);
  parts.push(
    `<p class="muted">Base <code>${esc(data.base)}</code> · analysis <code>${esc(data.dir)}</code> · tolerance ${esc(String(data.tolerance))} (share of each fine-tune's gain a merge must keep)</p>`,
  );
  parts.push(`<h2>Verdicts</h2>`);
  if (data.set) {
    parts.push(
      `<div class="set"><p><b>Merging the set:</b> ${badge(data.set.verdict)} · method <code>${esc(data.set.method)}</code></p><ul>${data.set.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul></div>`,
    );
  }
  parts.push(
    table(
      ['fine-tune', 'kind', 'verdict', 'drop rate p', 'range', 'density 1 − p', 'predicted p', 'measured p', 'riskiest tensors', 'reasons'],
      data.models.map((m) => [
        esc(m.model),
        esc(m.kind),
        badge(m.verdict),
        frac(m.recommendedDropRate),
        `${esc(m.basis)} ${frac(m.dropRateLow)}–${frac(m.dropRateHigh)}`,
        frac(m.recommendedDensity),
        frac(m.fromWeightsDropRate),
        m.measuredDropRate === null ? '–' : frac(m.measuredDropRate),
        m.riskiestTensors.map((t) => `${esc(t.tensor)} (safe ${frac(t.safeDropRate)})`).join('<br>') || '–',
        m.reasons.map(esc).join('<br>'),
      ]),
      [3, 4],
    ),
  );
  if (data.probe.length) {
    parts.push(`<h2>Measured DARE tolerance (darekit probe)</h2>`);
    parts.push(table(PROBE_HEADER, probeRows(data.probe, esc), [2, 3, 4, 5, 6]));
  }
  parts.push(`<h2>Delta statistics</h2>`);
  parts.push(table(DELTA_HEADER, deltaRows(data.models, esc), [1, 2, 3, 4, 5, 6, 7]));
  parts.push(`<h2>Charts</h2>`);
  for (const c of charts) parts.push(`<figure id="${esc(c.id)}">${c.svg}<figcaption>${esc(c.caption)}</figcaption></figure>`);
  if (data.pairs.length) {
    parts.push(`<h2>Pairwise interference</h2>`);
    parts.push(table(PAIR_HEADER, pairRows(data.pairs, esc), [2, 3, 4]));
  }
  if (data.trials.length) {
    parts.push(`<h2>Tune trials</h2>`);
    parts.push(
      table(
        ['trial', 'density scale', 'weights', 'densities', 'score', 'seconds', 'status', 'stderr (tail)'],
        data.trials.map((t) => [
          `${t.trial}${t.best ? ' <b>(best)</b>' : ''}`,
          num(t.densityScale),
          esc(
            Object.entries(t.weights)
              .map(([k, v]) => `${k}=${num(v)}`)
              .join(', '),
          ),
          esc(
            Object.entries(t.densities)
              .map(([k, v]) => `${k}=${frac(v)}`)
              .join(', '),
          ),
          t.score === null ? '–' : num(t.score),
          t.seconds.toFixed(1),
          esc(t.status),
          `<code>${escapeMarkup(t.stderrTail.slice(-300), { keepLines: true })}</code>`,
        ]),
        [1, 4, 5],
      ),
    );
  }
  if (data.recipe) {
    const coverage = recipeCoverage(data);
    parts.push(
      `<h2>Recipe</h2>${coverage ? `<p class="note">${esc(coverage)}</p>` : ''}<pre>${escapeMarkup(data.recipe, { keepLines: true })}</pre>`,
    );
  }
  parts.push(`<h2>Definitions</h2>`);
  parts.push(
    table(
      ['term', 'unit', 'definition'],
      DEFINITIONS.map((d) => [inlineCode(d.term), inlineCode(d.unit), inlineCode(d.definition)]),
    ),
  );
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>darekit report — ${esc(data.base)}</title><style>${STYLE}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}
