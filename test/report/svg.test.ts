import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { barChart, heatmap, histogram, lineChart } from '../../src/report/svg/index.js';
import { escapeXml, formatNumber, coord } from '../../src/report/svg/xml.js';
import { finiteExtent, mixColor, niceTicks } from '../../src/report/svg/scale.js';
import { checkWellFormed } from './xml-check.js';

const HOSTILE = `<script>alert("x")</script> & 'q' ]]>`;

describe('xml primitives', () => {
  it('escapes the five XML special characters and nothing else', () => {
    expect(escapeXml(`a<b>&"'z`)).toBe('a&lt;b&gt;&amp;&quot;&#39;z');
    expect(escapeXml('ρ · Δ ≤ 1%')).toBe('ρ · Δ ≤ 1%');
  });
  it('refuses to write a non-finite coordinate instead of emitting NaN into the drawing', () => {
    expect(() => coord(NaN)).toThrow(/non-finite/);
    expect(coord(-0.001)).toBe('0');
    expect(coord(12.345)).toBe('12.35');
  });
  it('formats numbers for people, with a dash for NaN', () => {
    expect(formatNumber(NaN)).toBe('–');
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(0.00001234)).toBe('1.23e-5');
    expect(formatNumber(Infinity)).toBe('∞');
  });
});

describe('scales', () => {
  it('niceTicks covers the data range with round, evenly spaced steps', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), (a, b) => {
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        const t = niceTicks(lo, hi);
        expect(t[0]!).toBeLessThanOrEqual(lo);
        expect(t[t.length - 1]!).toBeGreaterThanOrEqual(hi);
        const step = t[1]! - t[0]!;
        const mant = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
        expect([1, 2, 5, 10].some((m) => Math.abs(mant - m) < 1e-6)).toBe(true);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
  it('finiteExtent ignores NaN and infinities, and is null when nothing is finite', () => {
    expect(finiteExtent([NaN, 3, -Infinity, -2, Infinity])).toEqual({ min: -2, max: 3 });
    expect(finiteExtent([NaN, Infinity])).toBeNull();
  });
  it('mixColor returns the end colours at 0 and 1', () => {
    expect(mixColor('#000000', '#ffffff', 0)).toBe('#000000');
    expect(mixColor('#000000', '#ffffff', 1)).toBe('#ffffff');
    expect(mixColor('#000000', '#ffffff', 0.5)).toBe('#808080');
  });
});

const num = fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constant(NaN), fc.constant(Infinity), fc.constant(-Infinity));
const name = fc.oneof(fc.string(), fc.constant(HOSTILE));

describe('charts are well-formed SVG for any input', () => {
  it('line chart', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ name, points: fc.array(fc.record({ x: num, y: num }), { maxLength: 12 }) }), { maxLength: 4 }),
        name,
        (series, title) => {
          const svg = lineChart({ title, xLabel: 'layer', yLabel: 'ρ', series });
          const names = checkWellFormed(svg);
          expect(names[0]).toBe('svg');
          expect(svg).not.toMatch(/NaN|Infinity/);
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });
  it('bar chart', () => {
    fc.assert(
      fc.property(
        fc.array(name, { maxLength: 5 }),
        fc.array(fc.record({ name, values: fc.array(num, { maxLength: 5 }) }), { maxLength: 3 }),
        (categories, series) => {
          const svg = barChart({ title: 't', xLabel: 'x', yLabel: 'y', categories, series });
          checkWellFormed(svg);
          expect(svg).not.toMatch(/NaN|Infinity/);
        },
      ),
      { seed: 12, numRuns: 200 },
    );
  });
  it('heatmap', () => {
    fc.assert(
      fc.property(
        fc.array(name, { minLength: 1, maxLength: 4 }),
        fc.array(fc.array(num, { maxLength: 4 }), { maxLength: 4 }),
        (labels, values) => {
          const svg = heatmap({
            title: HOSTILE,
            rowLabels: labels,
            colLabels: labels,
            values,
            domain: [-1, 1],
            mid: '#ffffff',
            low: '#2166ac',
            high: '#b2182b',
          });
          checkWellFormed(svg);
          expect(svg).not.toMatch(/NaN|Infinity/);
        },
      ),
      { seed: 13, numRuns: 200 },
    );
  });
  it('histogram', () => {
    const bin = fc.record({ lo: num, hi: num, count: num });
    fc.assert(
      fc.property(fc.array(fc.record({ name, bins: fc.array(bin, { maxLength: 10 }) }), { maxLength: 3 }), fc.boolean(), (series, logX) => {
        const svg = histogram({ title: 't', xLabel: '|Δ|', series, logX });
        checkWellFormed(svg);
        expect(svg).not.toMatch(/NaN|Infinity/);
      }),
      { seed: 14, numRuns: 200 },
    );
  });
});

describe('chart content', () => {
  it('escapes hostile titles and series names', () => {
    const svg = lineChart({
      title: HOSTILE,
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: HOSTILE,
          points: [
            { x: 0, y: 1 },
            { x: 1, y: 2 },
          ],
        },
      ],
    });
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;');
  });
  it('a NaN in a line splits it into two drawn segments, and NaN points get no marker', () => {
    const pts = [0, 1, 2, 3, 4].map((x) => ({ x, y: x === 2 ? NaN : x * 0.1 }));
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: pts }] });
    expect(svg.match(/<path /g)?.length).toBe(2);
    expect(svg.match(/<circle /g)?.length).toBe(4);
  });
  it('an all-NaN chart says there is nothing to plot', () => {
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [{ x: 0, y: NaN }] }] });
    expect(svg).toContain('no finite values to plot');
  });
  it('the y axis labels bracket the data range', () => {
    const svg = lineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 's',
          points: [
            { x: 0, y: 0.013 },
            { x: 1, y: 0.087 },
          ],
        },
      ],
    });
    const labels = [...svg.matchAll(/text-anchor="end" fill="#444">([^<]+)</g)].map((m) => Number(m[1]));
    expect(Math.min(...labels)).toBeLessThanOrEqual(0.013);
    expect(Math.max(...labels)).toBeGreaterThanOrEqual(0.087);
  });
  it('a fixed y domain puts its ends on the axis', () => {
    const svg = lineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'p',
      yDomain: [0, 1],
      series: [
        {
          name: 's',
          points: [
            { x: 0, y: 0.3 },
            { x: 1, y: 0.5 },
          ],
        },
      ],
    });
    const labels = [...svg.matchAll(/text-anchor="end" fill="#444">([^<]+)</g)].map((m) => Number(m[1]));
    expect(Math.min(...labels)).toBe(0);
    expect(Math.max(...labels)).toBe(1);
  });
  it('heatmap prints every value, n/a for NaN, and colours the domain ends with the end colours', () => {
    const svg = heatmap({
      title: 't',
      rowLabels: ['a', 'b'],
      colLabels: ['a', 'b'],
      values: [
        [0, 1],
        [NaN, 0.5],
      ],
      domain: [0, 1],
      low: '#ffffff',
      high: '#000000',
    });
    expect(svg).toContain('fill="#ffffff"');
    expect(svg).toContain('fill="#000000"');
    expect(svg.match(/>n\/a</g)?.length).toBe(1);
    expect(svg.match(/<rect /g)?.length).toBe(4);
  });
  it('histogram heights are shares: a series with one occupied bin reaches share 1', () => {
    const svg = histogram({
      title: 't',
      xLabel: 'x',
      series: [
        {
          name: 'one',
          bins: [
            { lo: 1, hi: 2, count: 5 },
            { lo: 2, hi: 3, count: 0 },
          ],
        },
      ],
    });
    const labels = [...svg.matchAll(/text-anchor="end" fill="#444">([^<]+)</g)].map((m) => Number(m[1]));
    expect(Math.max(...labels)).toBe(1);
  });
  it('log-x histograms skip bins at or below zero', () => {
    const svg = histogram({
      title: 't',
      xLabel: 'x',
      logX: true,
      series: [
        {
          name: 's',
          bins: [
            { lo: 0, hi: 1e-4, count: 100 },
            { lo: 1e-3, hi: 1e-2, count: 1 },
          ],
        },
      ],
    });
    const labels = [...svg.matchAll(/text-anchor="end" fill="#444">([^<]+)</g)].map((m) => Number(m[1]));
    // Only the positive bin counts, so it holds all of the plotted share.
    expect(Math.max(...labels)).toBe(1);
  });
});
