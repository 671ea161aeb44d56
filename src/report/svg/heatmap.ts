import { el, escapeXml, formatNumber } from './xml.js';
import { mixColor } from './scale.js';
import { svgShell } from './frame.js';

/** A labelled matrix; cells are coloured from `low` (at domain[0]) to `high` (at domain[1]), NaN cells grey "n/a". */
export interface HeatmapSpec {
  title: string;
  rowLabels: string[];
  colLabels: string[];
  values: number[][];
  domain: [number, number];
  /** Colours at the two ends of the domain (#rrggbb); a third `mid` makes a diverging scale. */
  low?: string;
  mid?: string;
  high?: string;
  format?: (v: number) => string;
  cell?: number;
  /** Text for the diagonal cells (row i × column i, a thing against itself), drawn neutral instead of a value. */
  diagonal?: string;
}

/** Render a heatmap with the value printed in each cell, as a standalone <svg> string. */
export function heatmap(spec: HeatmapSpec): string {
  const cell = spec.cell ?? 56;
  const labelW = Math.min(200, 12 + 7 * Math.max(4, ...spec.rowLabels.map((l) => l.length)));
  const labelH = Math.min(160, 12 + 6 * Math.max(4, ...spec.colLabels.map((l) => l.length)));
  const top = 28 + labelH;
  const width = labelW + cell * spec.colLabels.length + 16;
  const height = top + cell * spec.rowLabels.length + 16;
  const fmt = spec.format ?? ((v: number) => formatNumber(v, 2));
  const [d0, d1] = spec.domain;
  const low = spec.low ?? '#f7fbff';
  const high = spec.high ?? '#08306b';
  const color = (v: number): string => {
    const t = d1 === d0 ? 0.5 : (v - d0) / (d1 - d0);
    if (!spec.mid) return mixColor(low, high, t);
    return t < 0.5 ? mixColor(low, spec.mid, t * 2) : mixColor(spec.mid, high, (t - 0.5) * 2);
  };
  const body: string[] = [];
  spec.colLabels.forEach((c, j) => {
    const x = labelW + cell * (j + 0.5);
    body.push(el('text', { x, y: top - 6, transform: `rotate(-40 ${Math.round(x)} ${top - 6})`, fill: '#222' }, escapeXml(c)));
  });
  spec.rowLabels.forEach((r, i) => {
    body.push(el('text', { x: labelW - 6, y: top + cell * (i + 0.5) + 4, 'text-anchor': 'end', fill: '#222' }, escapeXml(r)));
    spec.colLabels.forEach((c, j) => {
      if (spec.diagonal !== undefined && i === j) {
        body.push(
          el(
            'g',
            { class: 'cell diagonal' },
            el(
              'rect',
              { x: labelW + cell * j, y: top + cell * i, width: cell - 2, height: cell - 2, fill: '#f4f4f4' },
              el('title', {}, escapeXml(`${r} × ${c}: itself`)),
            ),
            el(
              'text',
              { x: labelW + cell * (j + 0.5) - 1, y: top + cell * (i + 0.5) + 3, 'text-anchor': 'middle', fill: '#888' },
              escapeXml(spec.diagonal),
            ),
          ),
        );
        return;
      }
      const v = spec.values[i]?.[j] ?? NaN;
      const finite = Number.isFinite(v);
      const fill = finite ? color(v) : '#e0e0e0';
      const t = finite && d1 !== d0 ? (v - d0) / (d1 - d0) : 0;
      const dark = spec.mid ? Math.abs(t - 0.5) > 0.3 : t > 0.55;
      body.push(
        el(
          'g',
          { class: 'cell' },
          el(
            'rect',
            { x: labelW + cell * j, y: top + cell * i, width: cell - 2, height: cell - 2, fill },
            el('title', {}, escapeXml(`${r} × ${c}: ${finite ? fmt(v) : 'n/a'}`)),
          ),
          el(
            'text',
            {
              x: labelW + cell * (j + 0.5) - 1,
              y: top + cell * (i + 0.5) + 3,
              'text-anchor': 'middle',
              fill: finite && dark ? '#fff' : '#222',
            },
            escapeXml(finite ? fmt(v) : 'n/a'),
          ),
        ),
      );
    });
  });
  return svgShell(spec.title, width, height, body);
}
