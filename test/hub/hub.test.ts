// Hub repo ids: offline resolution from a fake Hugging Face cache, the header-only pre-flight check, and verified,
// resumable downloads from a fake Hub on 127.0.0.1 (no test reaches the network).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { TensorReader } from '../../src/io/tensor-reader.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { parseRepoRef } from '../../src/hub/repo-ref.js';
import { familyS } from '../helpers/shared.js';
import { fakeCacheRepo, repoFromDir, startFakeHub, type FakeHub } from './fake-hub.js';

const CLI = resolve(__dirname, '../../dist/cli/main.js');
const S = familyS();
const C1 = 'a'.repeat(40);
const C2 = 'b'.repeat(40);
const root = mkdtempSync(join(tmpdir(), 'darekit-hub-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Run the CLI asynchronously (the fake Hub runs in this process, so spawnSync would deadlock). */
function darekit(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, DAREKIT_NO_PROGRESS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Whether two models hold the same tensors with the same bytes (merge outputs also carry their recipe's paths in metadata). */
function sameTensors(a: string, b: string): boolean {
  const ma = openModel(a);
  const mb = openModel(b);
  const reader = new TensorReader();
  try {
    return (
      ma.names.join() === mb.names.join() &&
      ma.names.every((n) => {
        const ta = ma.tensors.get(n)!;
        const tb = mb.tensors.get(n)!;
        const x = new Uint8Array(ta.byteLength);
        const y = new Uint8Array(tb.byteLength);
        reader.readBytes(ta, 0, ta.numel, x);
        reader.readBytes(tb, 0, tb.numel, y);
        return Buffer.from(x).equals(Buffer.from(y));
      })
    );
  } finally {
    reader.close();
  }
}

/** sft-up with two extra vocabulary rows in embed_tokens and lm_head (a fine-tune that added tokens). */
function widerVocabModel(dir: string): void {
  cpSync(join(S, 'sft-up'), dir, { recursive: true });
  const m = openModel(join(S, 'sft-up'));
  const reader = new TensorReader();
  const tensors = m.names.map((name) => {
    const t = m.tensors.get(name)!;
    const bytes = new Uint8Array(t.byteLength);
    reader.readBytes(t, 0, t.numel, bytes);
    if (name === 'model.embed_tokens.weight' || name === 'lm_head.weight') {
      const grown = new Uint8Array(bytes.length + 2 * t.shape[1]! * 2);
      grown.set(bytes);
      return { name, dtype: t.dtype, shape: [t.shape[0]! + 2, t.shape[1]!], data: grown };
    }
    return { name, dtype: t.dtype, shape: t.shape, data: bytes };
  });
  reader.close();
  writeSafetensorsFile(join(dir, 'model.safetensors'), tensors);
}

describe('repo ids', () => {
  it('parse org/name[@revision] and leave paths alone', () => {
    expect(parseRepoRef('mistralai/Mistral-7B-v0.1')).toEqual({
      repo: 'mistralai/Mistral-7B-v0.1',
      revision: 'main',
      text: 'mistralai/Mistral-7B-v0.1',
    });
    expect(parseRepoRef('org/name@v1.0')?.revision).toBe('v1.0');
    expect(parseRepoRef(`org/name@${C1}`)?.revision).toBe(C1);
    for (const notRepo of ['a/b/c', './a/b', '/abs/path', 'a/../b', 'org/model.safetensors', 'name', 'org/name@', 'org/name@../x'])
      expect(parseRepoRef(notRepo), notRepo).toBeUndefined();
  });
});

describe('a repo id resolves from the local Hugging Face cache, offline', () => {
  const cache = join(root, 'cache');
  const env = { HF_HUB_CACHE: cache, HF_ENDPOINT: 'http://127.0.0.1:9' }; // nothing listens there: any network use fails
  beforeAll(() => {
    for (const m of ['base', 'sft-up', 'sft-shift']) fakeCacheRepo(cache, `tiny/${m}`, C1, join(S, m));
  });

  it('inspect org/name and org/name@commit read the cached snapshot', async () => {
    for (const ref of ['tiny/base', `tiny/base@${C1}`]) {
      const r = await darekit(['inspect', ref, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).tensorCount).toBe(openModel(join(S, 'base')).names.length);
    }
  });

  it('analyze and merge take repo ids (CLI and YAML), with the same output as from local paths', async () => {
    const a = await darekit(['analyze', '--base', 'tiny/base', 'tiny/sft-up', '--out', join(root, 'an'), '--json'], env);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).models).toHaveLength(1);
    const yml = (base: string, m1: string, m2: string): string =>
      `merge_method: dare_ties\nbase_model: ${base}\nmodels:\n  - model: ${m1}\n    parameters: {weight: 1, density: 0.5}\n  - model: ${m2}\n    parameters: {weight: 1, density: 0.5}\nparameters: {seed: 3}\n`;
    writeFileSync(join(root, 'hub.yml'), yml('tiny/base', 'tiny/sft-up', `tiny/sft-shift@${C1}`));
    writeFileSync(join(root, 'local.yml'), yml(join(S, 'base'), join(S, 'sft-up'), join(S, 'sft-shift')));
    const h = await darekit(['merge', join(root, 'hub.yml'), '--out', join(root, 'm-hub')], env);
    expect(h.code, h.stderr).toBe(0);
    const l = await darekit(['merge', join(root, 'local.yml'), '--out', join(root, 'm-local')], env);
    expect(l.code, l.stderr).toBe(0);
    expect(sameTensors(join(root, 'm-hub'), join(root, 'm-local'))).toBe(true);
  });

  it('probe takes repo ids: the same measurement as from local paths, the model named by its repo', async () => {
    const ex = join(root, 'probe-up.jsonl');
    writeFileSync(
      ex,
      readFileSync(join(S, 'examples', 'sft-up.jsonl'), 'utf8')
        .split('\n')
        .slice(0, 12)
        .join('\n') + '\n',
    );
    const flags = ['--drop-rates', '0,0.5', '--seeds', '1', '--json'];
    const h = await darekit(['probe', '--base', 'tiny/base', 'tiny/sft-up', '--examples', `sft-up=${ex}`, ...flags], env);
    expect(h.code, h.stderr).toBe(0);
    const l = await darekit(['probe', '--base', join(S, 'base'), join(S, 'sft-up'), '--examples', `sft-up=${ex}`, ...flags], env);
    expect(l.code, l.stderr).toBe(0);
    type Out = { models: { model: string; path: string; sweep: { loss: number; retained: number }[]; safeDropRate: number | null }[] };
    const hub = JSON.parse(h.stdout) as Out;
    const local = JSON.parse(l.stdout) as Out;
    expect(hub.models[0]!.path).toContain(join('models--tiny--sft-up', 'snapshots', C1));
    expect([hub.models[0]!.model, local.models[0]!.model]).toEqual(['sft-up', 'sft-up']);
    expect(hub.models.map((m) => [m.sweep, m.safeDropRate])).toEqual(local.models.map((m) => [m.sweep, m.safeDropRate]));
  });

  it('a repo that is not cached is a one-line input error naming the cache and --download (no network use)', async () => {
    const r = await darekit(['inspect', 'tiny/missing', '--json'], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(cache);
    expect(r.stderr).toContain('--download');
  });
});

describe('the fake Hub: pre-flight check and downloads', () => {
  let hub: FakeHub;
  beforeAll(async () => {
    const vocabDir = join(root, 'sft-vocab');
    widerVocabModel(vocabDir);
    hub = await startFakeHub(
      new Map([
        ['hub/base', repoFromDir(join(S, 'base'), C2)],
        ['hub/sft-up', repoFromDir(join(S, 'sft-up'), C2)],
        ['hub/sft-shift', repoFromDir(join(S, 'sft-shift'), C2)],
        ['hub/sft-vocab', repoFromDir(vocabDir, C2)],
        ['hub/private', { ...repoFromDir(join(S, 'sft-up'), C2), token: 'hf_secret' }],
        ['hub/drop', repoFromDir(join(S, 'sft-shift'), C2)],
        ['hub/slow', repoFromDir(join(S, 'sft-up'), C2)],
        ['hub/liar', repoFromDir(join(S, 'sft-shift'), C2)],
        ['hub/liar-config', repoFromDir(join(S, 'sft-shift'), C2)],
        ['hub/corrupt', repoFromDir(join(S, 'sft-shift'), C2)],
      ]),
      {
        dropAfter: new Map([['hub/drop/model.safetensors', 300_000]]),
        lieSize: new Map([
          ['hub/liar/model.safetensors', readFileSync(join(S, 'sft-shift', 'model.safetensors')).length + 1000],
          ['hub/liar-config/config.json', readFileSync(join(S, 'sft-shift', 'config.json')).length + 1000],
        ]),
        corrupt: new Set(['hub/corrupt/model.safetensors']),
        slow: new Set(['hub/slow/model.safetensors']),
      },
    );
  });
  afterAll(() => hub.close());
  const envFor = (cache: string, extra: Record<string, string> = {}): Record<string, string> => ({
    HF_HUB_CACHE: cache,
    HF_ENDPOINT: hub.endpoint,
    ...extra,
  });
  const weightBytes = readFileSync(join(S, 'base', 'model.safetensors')).length;

  it('check reports a vocabulary mismatch from the headers alone, before any weights move', async () => {
    writeFileSync(
      join(root, 'check.yml'),
      'merge_method: dare_ties\nbase_model: hub/base\nmodels:\n  - model: hub/sft-up\n  - model: hub/sft-vocab\n',
    );
    const r = await darekit(['check', join(root, 'check.yml')], envFor(join(root, 'cache-check')));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hub\/sft-vocab.*"model\.embed_tokens\.weight" shape \[258, 96\] vs base \[256, 96\].*--truncate-vocab/);
    const sent = [...hub.sent].filter(([k]) => k.endsWith('.safetensors')).reduce((s, [, n]) => s + n, 0);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(0.05 * weightBytes * 3); // headers only
    expect(existsSync(join(root, 'cache-check'))).toBe(false); // nothing written to the cache
    const ok = await darekit(['check', join(root, 'check.yml'), '--truncate-vocab', '--json'], envFor(join(root, 'cache-check')));
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).inputs.map((i: { source: string }) => i.source)).toEqual(['hub', 'hub', 'hub']);
  });

  it('merge --download fetches into the cache layout, verifies, and merges as from local paths; a second run is offline', async () => {
    const cache = join(root, 'cache-dl');
    writeFileSync(
      join(root, 'dl.yml'),
      'merge_method: dare_ties\nbase_model: hub/base\nmodels:\n  - model: hub/sft-up\n    parameters: {weight: 1, density: 0.5}\n  - model: hub/sft-shift\n    parameters: {weight: 1, density: 0.5}\nparameters: {seed: 3}\n',
    );
    const refused = await darekit(['merge', join(root, 'dl.yml'), '--out', join(root, 'm-dl0')], envFor(cache));
    expect(refused.code).toBe(2);
    const r = await darekit(['merge', join(root, 'dl.yml'), '--out', join(root, 'm-dl'), '--download'], envFor(cache));
    expect(r.code, r.stderr).toBe(0);
    const snap = join(cache, 'models--hub--base', 'snapshots', C2);
    expect(readFileSync(join(cache, 'models--hub--base', 'refs', 'main'), 'utf8')).toBe(C2);
    expect(readdirSync(snap).sort()).toEqual(
      readdirSync(join(S, 'base'))
        .filter((f) => !['examples', 'reference'].includes(f))
        .sort(),
    );
    expect(readFileSync(join(snap, 'model.safetensors')).equals(readFileSync(join(S, 'base', 'model.safetensors')))).toBe(true);
    writeFileSync(
      join(root, 'dl-local.yml'),
      readFileSync(join(root, 'dl.yml'), 'utf8')
        .replace('hub/base', join(S, 'base'))
        .replace('hub/sft-up', join(S, 'sft-up'))
        .replace('hub/sft-shift', join(S, 'sft-shift')),
    );
    const l = await darekit(['merge', join(root, 'dl-local.yml'), '--out', join(root, 'm-dl-local')], envFor(cache));
    expect(l.code, l.stderr).toBe(0);
    expect(sameTensors(join(root, 'm-dl'), join(root, 'm-dl-local'))).toBe(true);
    const again = await darekit(['merge', join(root, 'dl.yml'), '--out', join(root, 'm-dl2')], {
      HF_HUB_CACHE: cache,
      HF_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(again.code, again.stderr).toBe(0);
  });

  it('a download cut mid-file keeps the partial blob and the next run resumes it with a Range request', async () => {
    const cache = join(root, 'cache-drop');
    const first = await darekit(['inspect', 'hub/drop', '--download', '--json'], envFor(cache));
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/run again to resume/);
    const blobs = join(cache, 'models--hub--drop', 'blobs');
    const partial = readdirSync(blobs).filter((f) => f.endsWith('.incomplete'));
    expect(partial).toHaveLength(1);
    const second = await darekit(['inspect', 'hub/drop', '--download', '--json'], envFor(cache));
    expect(second.code, second.stderr).toBe(0);
    expect(hub.ranges.get('hub/drop/model.safetensors')).toContain('bytes=300000-');
    expect(readdirSync(blobs).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
    expect(
      readFileSync(join(cache, 'models--hub--drop', 'snapshots', C2, 'model.safetensors')).equals(
        readFileSync(join(S, 'sft-shift', 'model.safetensors')),
      ),
    ).toBe(true);
  });

  it('a download killed with SIGKILL mid-file resumes from its partial blob on the next run', async () => {
    const cache = join(root, 'cache-kill');
    const blobs = join(cache, 'models--hub--slow', 'blobs');
    const p = spawn(process.execPath, [CLI, 'inspect', 'hub/slow', '--download'], {
      env: { ...process.env, ...envFor(cache), DAREKIT_NO_PROGRESS: '1' },
      stdio: 'ignore',
    });
    const partialSize = (): number =>
      existsSync(blobs)
        ? readdirSync(blobs)
            .filter((f) => f.endsWith('.incomplete'))
            .reduce((n, f) => n + statSync(join(blobs, f)).size, 0)
        : 0;
    while (partialSize() < 100_000) await new Promise((r) => setTimeout(r, 20));
    p.kill('SIGKILL');
    await new Promise((r) => p.on('close', r));
    const kept = partialSize();
    expect(kept).toBeGreaterThanOrEqual(100_000);
    const again = await darekit(['inspect', 'hub/slow', '--download', '--json'], envFor(cache));
    expect(again.code, again.stderr).toBe(0);
    const resumedFrom = Number(/^bytes=(\d+)-$/.exec(hub.ranges.get('hub/slow/model.safetensors')?.at(-1) ?? '')?.[1]);
    expect(resumedFrom).toBeGreaterThanOrEqual(100_000);
    expect(resumedFrom).toBeLessThanOrEqual(kept);
    expect(
      readFileSync(join(cache, 'models--hub--slow', 'snapshots', C2, 'model.safetensors')).equals(
        readFileSync(join(S, 'sft-up', 'model.safetensors')),
      ),
    ).toBe(true);
  });

  it('a Hub that lies about sizes or serves bytes that miss the sha256 is refused; nothing enters the cache', async () => {
    for (const [repo, re] of [
      ['hub/liar', /hub\/liar@main\/model\.safetensors: 1000 trailing bytes after the last tensor/],
      ['hub/liar-config', /hub\/liar-config\/config\.json: the Hub listed \d+ bytes but serves a \d+-byte file/],
      ['hub/corrupt', /sha256 [0-9a-f]{64} does not match/],
    ] as const) {
      const cache = join(root, `cache-${repo.split('/')[1]}`);
      const r = await darekit(['inspect', repo, '--download'], envFor(cache));
      expect(r.code, repo).not.toBe(0);
      expect(r.stderr, r.stderr).toMatch(re);
      expect(existsSync(join(cache, `models--${repo.replace('/', '--')}`, 'snapshots', C2, 'model.safetensors'))).toBe(false);
    }
  });

  it('HF_TOKEN is sent to a private repo; without it the Hub refusal is a clear input error', async () => {
    const denied = await darekit(['inspect', 'hub/private', '--download'], envFor(join(root, 'cache-priv0')));
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/HF_TOKEN/);
    const ok = await darekit(
      ['inspect', 'hub/private', '--download', '--json'],
      envFor(join(root, 'cache-priv'), { HF_TOKEN: 'hf_secret' }),
    );
    expect(ok.code, ok.stderr).toBe(0);
  });
});
