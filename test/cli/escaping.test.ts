// Names from files (model dir names, tensor names, table contents) reach the terminal and the written reports
// only escaped: no ESC/BEL sequences, no bidi override, no line break that spoofs a `darekit:` line, no raw HTML.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { escapeStrings, markdownText, safeJson, safeLines, safeName } from '../../src/text/safe-text.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
// Title-setting OSC, clear screen, right-to-left override, HTML, and a newline that starts a fake darekit line.
const HOSTILE = 'evil\x1b]0;pwned\x07\x1b[2J\u202eRTL<img src=x onerror=alert(1)>\ndarekit: ok';
const RAW = ['\x1b', '\x07', '\u202e', '\u2066', '\x9b'];

function expectClean(what: string, text: string): void {
  for (const c of RAW) expect(text.includes(c), `${what} holds raw U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`).toBe(false);
  expect(
    text.split('\n').some((l) => /^\s*darekit: ok/.test(l)),
    `${what} has a spoofed "darekit: ok" line`,
  ).toBe(false);
  // the whole name stays on one line: wherever its start shows, its end is on the same line
  for (const line of text.split('\n')) if (line.includes('pwned') && !what.endsWith('.json')) expect(line, what).toContain('darekit: ok');
}

let dir: string;
let base: string;
let ft: string;
let out: string;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'darekit-escape-'));
  base = join(dir, 'base');
  ft = join(dir, HOSTILE.replace('\n', '\n')); // a model dir named with the hostile text (newline included)
  const names = ['model.layers.0.mlp.up_proj.weight', `model.layers.0.${HOSTILE}.weight`];
  for (const [m, shift] of [
    [base, 0],
    [ft, 0.01],
  ] as const) {
    mkdirSync(m);
    writeSafetensorsFile(
      join(m, 'model.safetensors'),
      names.map((name, k) => {
        const v = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i + k) * 0.1 + (i % 3 === 0 ? shift : 0));
        return { name, dtype: 'F32' as const, shape: [8, 8], data: new Uint8Array(v.buffer) };
      }),
    );
    writeFileSync(join(m, 'config.json'), '{}');
  }
  out = join(dir, 'analysis');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the escaping helper', () => {
  it('escapes controls, bidi and line breaks as visible \\uXXXX text, and nothing else', () => {
    expect(safeName('a\x1b[2Jb\u202ec\nd\u2066e\x9bf\tg')).toBe('a\\u001b[2Jb\\u202ec\\u000ad\\u2066e\\u009bf\\u0009g');
    expect(safeName('model.layers.0.mlp — ü 😀')).toBe('model.layers.0.mlp — ü 😀');
    expect(safeLines('a\tb\nc\x1bd')).toBe('a\tb\nc\\u001bd');
    const json = JSON.stringify({ name: HOSTILE + '\x85\u2028' });
    expect(JSON.parse(safeJson(json))).toEqual({ name: HOSTILE + '\x85\u2028' });
    expect(safeJson(json)).not.toMatch(/[\u007f-\u009f\u202e\u2028]/);
    expect(markdownText('a|b<img>`x`*y*')).toBe('a\\|b&lt;img&gt;\\`x\\`\\*y\\*');
    expect(escapeStrings({ a: ['x\n', 1, null], b: { c: '\x1b' } })).toEqual({ a: ['x\\u000a', 1, null], b: { c: '\\u001b' } });
  });
});

describe('every command prints and writes names escaped', () => {
  it('inspect --tensors, inspect --json', () => {
    const t = cli(['inspect', ft, '--tensors']);
    expect(t.code).toBe(0);
    expectClean('inspect --tensors', t.stdout);
    expect(t.stdout.split('\n').filter((l) => l.includes('onerror'))).toHaveLength(2); // the path line and the tensor line
    const j = cli(['inspect', ft, '--json']);
    expect(j.code).toBe(0);
    expectClean('inspect.json', j.stdout);
    expect(JSON.parse(j.stdout).tensors.map((x: { name: string }) => x.name)).toContain(`model.layers.0.${HOSTILE}.weight`);
  });

  it('analyze (text and --json), predict, query (table, csv, json), dash (summary and --json)', () => {
    const a = cli(['analyze', '--base', base, ft, '--out', out]);
    expect(a.code, a.stderr).toBe(0);
    expectClean('analyze', a.stdout + a.stderr);
    const p = cli(['predict', out]);
    expect(p.code, p.stderr).toBe(0);
    expectClean('predict', p.stdout + p.stderr);
    for (const format of ['table', 'csv']) {
      const q = cli(['query', out, 'SELECT model, tensor FROM tensors', '--format', format]);
      expect(q.code).toBe(0);
      expectClean(`query ${format}`, q.stdout);
      expect(q.stdout.split('\n').filter((l) => l.includes('onerror'))).toHaveLength(2); // one line per row
    }
    const qj = cli(['query', out, 'SELECT model, tensor FROM tensors', '--format', 'json']);
    expectClean('query.json', qj.stdout);
    expect(JSON.parse(qj.stdout).rows.map((r: { model: string }) => r.model)).toContain(HOSTILE);
    const d = cli(['dash', out]);
    expect(d.code, d.stderr).toBe(0);
    expectClean('dash summary', d.stdout);
    const dj = cli(['dash', out, '--json']);
    expectClean('dash.json', dj.stdout);
  });

  it('report: stdout, report.md (no raw HTML, pipes escaped), report.html (escaped), report.json', () => {
    const r = cli(['report', out, '--out', join(dir, 'rep')]);
    expect(r.code, r.stderr).toBe(0);
    expectClean('report stdout', r.stdout);
    const md = readFileSync(join(dir, 'rep', 'report.md'), 'utf8');
    expectClean('report.md', md);
    expect(md).not.toContain('<img');
    const html = readFileSync(join(dir, 'rep', 'report.html'), 'utf8');
    expectClean('report.html', html);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expectClean('report.json', readFileSync(join(dir, 'rep', 'report.json'), 'utf8'));
  });

  it('error messages naming a hostile file stay one escaped line', () => {
    const bad = join(dir, `bad${HOSTILE}`);
    cpSync(ft, bad, { recursive: true });
    writeFileSync(join(bad, 'model.safetensors'), 'garbage');
    const r = cli(['inspect', bad]);
    expect(r.code).toBe(2);
    expectClean('error', r.stderr);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
