import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFreeSpace, OutputDir } from '../../src/io/output-dir.js';
import { OUTPUT_MARKER } from '../../src/io/output-guard.js';
import { planShards } from '../../src/io/writer.js';
import { catchDarekit, tempDir } from './helpers.js';

const DIST_OUTPUT_DIR = resolve('dist/io/output-dir.js');
const DIST_SIGNALS = resolve('dist/cli/signals.js');

interface HeldChild {
  /** Resolves once the child has created its OutputDir and written into it. */
  ready: Promise<void>;
  /** Resolves with the exit code (null when killed by an unhandled signal). */
  done: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** Start a node child that opens an OutputDir at `dir`, writes a file, prints READY and waits to be killed. */
function childHoldingOutputDir(dir: string): HeldChild {
  // as the CLI does: only its entry point installs the handlers that run the library's cleanups
  const script = `import { OutputDir } from ${JSON.stringify(DIST_OUTPUT_DIR)};
import { installSignalCleanup } from ${JSON.stringify(DIST_SIGNALS)};
installSignalCleanup();
const d = OutputDir.create(${JSON.stringify(dir)}, { force: false });
d.writeFile('partial.bin', new Uint8Array(1000));
process.stdout.write('READY\\n');
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((r) =>
    child.stdout.on('data', (b: Buffer) => {
      if (b.toString().includes('READY')) r();
    }),
  );
  const done = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    ready,
    done,
    kill: (s) => {
      child.kill(s);
    },
  };
}

describe('OutputDir', () => {
  it('refuses an existing non-empty dir without force, naming it and --force (input error, exit 2)', () => {
    const dir = join(tempDir(), 'out');
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep.txt'), 'x');
    const err = catchDarekit(() => OutputDir.create(dir, { force: false }));
    expect(err.kind).toBe('input');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(dir);
    expect(err.message).toContain('--force');
  });

  it('accepts an existing empty dir and fills it on commit', () => {
    const dir = join(tempDir(), 'out');
    mkdirSync(dir);
    const out = OutputDir.create(dir, { force: false });
    out.writeFile('a.txt', 'hello');
    out.commit();
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('hello');
  });

  it('writes nothing visible until commit, then renames atomically and leaves no temp sibling', () => {
    const parent = tempDir();
    const dir = join(parent, 'out');
    const out = OutputDir.create(dir, { force: false });
    expect(out.tempDir.startsWith(join(parent, '.out.darekit-tmp-'))).toBe(true);
    const [plan] = planShards([{ name: 'w', dtype: 'F32', shape: [4] }]);
    const fd = out.openShard(plan!);
    out.writeAt(fd, new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer), plan!.dataOffset);
    expect(existsSync(dir)).toBe(false);
    out.commit();
    expect(readdirSync(parent)).toEqual(['out']);
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    expect(bytes.length).toBe(plan!.fileSize);
    expect([...new Float32Array(bytes.buffer.slice(bytes.byteOffset + plan!.dataOffset, bytes.byteOffset + bytes.length))]).toEqual([
      1, 2, 3, 4,
    ]);
    out.commit(); // idempotent
  });

  it('background flushes while writing (as merges do) leave the committed bytes exact, and one pending at abort is harmless', async () => {
    const parent = tempDir();
    const out = OutputDir.create(join(parent, 'out'), { force: false });
    const n = 1 << 18;
    const [plan] = planShards([{ name: 'w', dtype: 'F32', shape: [n] }]);
    const fd = out.openShard(plan!);
    const want = Float32Array.from({ length: n }, (_, i) => i * 0.5 - 7);
    for (let i = 0; i < n; i += 4096) {
      out.writeAt(fd, new Uint8Array(want.buffer, i * 4, 4096 * 4), plan!.dataOffset + i * 4);
      out.flushInBackground(); // no-op while one runs
      await new Promise((r) => setImmediate(r));
    }
    out.commit();
    out.flushInBackground(); // after commit: nothing to do
    const bytes = readFileSync(join(parent, 'out', 'model.safetensors'));
    expect(Buffer.compare(bytes.subarray(plan!.dataOffset), Buffer.from(want.buffer))).toBe(0);

    const other = OutputDir.create(join(parent, 'other'), { force: false });
    other.openShard(plan!);
    other.flushInBackground();
    other.abort();
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('abort removes everything it wrote and is safe to call twice; commit after abort is refused', () => {
    const parent = tempDir();
    const out = OutputDir.create(join(parent, 'out'), { force: false });
    out.writeFile('a.txt', 'x');
    out.openShard(planShards([{ name: 'w', dtype: 'BF16', shape: [8] }])[0]!);
    out.abort();
    out.abort();
    expect(readdirSync(parent)).toEqual([]);
    expect(() => out.commit()).toThrow(/aborted/);
  });

  it('with force replaces a dir darekit wrote completely and removes the old one', () => {
    const parent = tempDir();
    const dir = join(parent, 'out');
    const first = OutputDir.create(dir, { force: false });
    first.writeFile('old.txt', 'old');
    first.commit();
    const out = OutputDir.create(dir, { force: true });
    out.writeFile('new.txt', 'new');
    expect(readFileSync(join(dir, 'old.txt'), 'utf8')).toBe('old'); // untouched until commit
    out.commit();
    expect(readdirSync(dir).sort()).toEqual([OUTPUT_MARKER, 'new.txt']);
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('with force refuses a non-empty dir darekit did not write, naming what is there, and leaves it untouched', () => {
    const parent = tempDir();
    const dir = join(parent, 'out');
    mkdirSync(dir);
    writeFileSync(join(dir, 'thesis.tex'), 'years of work');
    writeFileSync(join(dir, 'notes.md'), 'more');
    const err = catchDarekit(() => OutputDir.create(dir, { force: true }));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('"notes.md", "thesis.tex"');
    expect(err.message).toContain(OUTPUT_MARKER);
    expect(readdirSync(dir).sort()).toEqual(['notes.md', 'thesis.tex']);
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it("accepts the demo's old marker as darekit-written", () => {
    const dir = join(tempDir(), 'out');
    mkdirSync(dir);
    writeFileSync(join(dir, '.darekit-demo'), 'x');
    writeFileSync(join(dir, 'report.md'), 'x');
    const out = OutputDir.create(dir, { force: true });
    out.commit();
    expect(readdirSync(dir)).toEqual([OUTPUT_MARKER]);
  });

  it('copies config.json with torch_dtype updated and tokenizer/generation files, and nothing else', () => {
    const src = tempDir();
    writeFileSync(join(src, 'config.json'), JSON.stringify({ model_type: 'llama', torch_dtype: 'bfloat16', hidden_size: 8 }));
    for (const f of [
      'generation_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'tokenizer.model',
      'special_tokens_map.json',
      'merges.txt',
      'vocab.json',
    ])
      writeFileSync(join(src, f), f);
    writeFileSync(join(src, 'model.safetensors'), 'weights');
    writeFileSync(join(src, 'notes.md'), 'no');
    const dir = join(tempDir(), 'out');
    const out = OutputDir.create(dir, { force: false });
    out.copySideFiles(src, 'F16');
    out.commit();
    expect(readdirSync(dir).sort()).toEqual([
      OUTPUT_MARKER,
      'config.json',
      'generation_config.json',
      'merges.txt',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer.model',
      'tokenizer_config.json',
      'vocab.json',
    ]);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({
      model_type: 'llama',
      torch_dtype: 'float16',
      hidden_size: 8,
    });
    expect(readFileSync(join(dir, 'tokenizer.model'), 'utf8')).toBe('tokenizer.model');
  });

  it('checkFreeSpace refuses an impossible size naming needed and free bytes, and accepts a tiny one', () => {
    const d = tempDir();
    checkFreeSpace(d, 1);
    const err = catchDarekit(() => checkFreeSpace(join(d, 'not-yet'), 2 ** 62));
    expect(err.message).toMatch(/needs .* but only .* is free/);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} removes the temp dir and exits ${code}; no output dir appears`, async () => {
      const parent = tempDir();
      const dir = join(parent, 'out');
      const c = childHoldingOutputDir(dir);
      await c.ready;
      expect(readdirSync(parent).length).toBe(1);
      c.kill(signal);
      expect(await c.done).toBe(code);
      expect(readdirSync(parent)).toEqual([]);
    });
  }

  it('SIGKILL leaves only a hidden temp sibling, which the next create deletes', async () => {
    const parent = tempDir();
    const dir = join(parent, 'out');
    const c = childHoldingOutputDir(dir);
    await c.ready;
    c.kill('SIGKILL');
    await c.done;
    const left = readdirSync(parent);
    expect(left.length).toBe(1);
    expect(left[0]).toMatch(/^\.out\.darekit-tmp-\d+-[0-9a-f]+$/);
    const out = OutputDir.create(dir, { force: false });
    expect(readdirSync(parent)).toEqual([out.tempDir.slice(parent.length + 1)]);
    out.abort();
  });
});
