import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { familyS } from '../helpers/shared.js';

// These spawn the built CLI: `npm test` builds first (`npm run build:ts` when running vitest directly).
const CLI = resolve('dist/cli/main.js');
const FAMILY = familyS();

function darekit(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, DAREKIT_NO_PROGRESS: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('darekit CLI end to end', () => {
  it('inspect --json on a shared model prints its catalog and exits 0', () => {
    const r = darekit('inspect', join(FAMILY, 'base'), '--json');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    const checksums = JSON.parse(readFileSync(join(FAMILY, 'checksums.json'), 'utf8'));
    const shapes = Object.values(checksums.base as Record<string, { shape: number[] }>).map((t) => t.shape.reduce((a, b) => a * b, 1));
    expect(info.tensorCount).toBe(shapes.length);
    expect(info.parameterCount).toBe(shapes.reduce((a, b) => a + b, 0));
    expect(info.layerCount).toBe(3);
  });

  it('a bad file exits 2 with one line on stderr naming the file, no stack trace', () => {
    const f = join(tempDir(), 'bad.safetensors');
    const body = new TextEncoder().encode('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
    const bytes = new Uint8Array(8 + body.length + 5); // 3 bytes short
    new DataView(bytes.buffer).setBigUint64(0, BigInt(body.length), true);
    bytes.set(body, 8);
    writeFileSync(f, bytes);
    const r = darekit('inspect', f, '--json');
    expect(r.code).toBe(2);
    // with --json, stdout holds only the error object (no partial output), stderr the same message on one line
    expect(JSON.parse(r.stdout)).toEqual({ error: { kind: 'input', message: r.stderr.trim().replace(/^darekit: /, '') } });
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(f);
    expect(r.stderr).toContain('"w"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a pickle checkpoint exits 2 saying why', () => {
    const f = join(tempDir(), 'pytorch_model.bin');
    writeFileSync(f, 'x');
    const r = darekit('inspect', f);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^darekit: .*pickle.*arbitrary code/);
  });

  it('fixtures --json writes a family that inspect reads, and refuses to overwrite it without --force', () => {
    const out = join(tempDir(), 'fam');
    const r = darekit('fixtures', '--out', out, '--preset', 'tiny', '--dtype', 'f16', '--shard-mb', '0.01', '--json');
    expect(r.code).toBe(0);
    const fam = JSON.parse(r.stdout);
    expect(fam.models.map((m: { name: string }) => m.name)).toEqual(['base', 'sft-a', 'sft-hot', 'cpt', 'lora']);
    const info = JSON.parse(darekit('inspect', join(out, 'cpt'), '--json').stdout);
    expect(info.layout).toBe('sharded');
    expect(info.byDtype.map((d: { dtype: string }) => d.dtype)).toEqual(['F16']);
    const again = darekit('fixtures', '--out', out, '--preset', 'tiny');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
    expect(darekit('fixtures', '--out', out, '--preset', 'nope').code).toBe(2);
  });
});
