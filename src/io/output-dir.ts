import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { inputError, runtimeError } from '../errors.js';
import { writeAllAt } from './write-all.js';
import { registerCleanup } from './cleanup.js';
import { readRegularFileBytes, readRegularFileText } from './regular-file.js';
import { assertOutputApartFromInputs, describeEntries, hasOutputMarker, lexists, OUTPUT_MARKER } from './output-guard.js';
import { torchName, type OutDtype } from './dtypes.js';
import type { ShardPlan } from './writer.js';

const TMP_TAG = '.darekit-tmp-';
const OLD_TAG = '.darekit-old-';

/** Files copied from the base model dir beside the weights, when present. */
const SIDE_FILES = [
  'config.json',
  'generation_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'vocab.txt',
  'merges.txt',
  'tokenizer.model',
];
const TOKENIZER_FILE = /^tokenizer[^/]*\.(json|model)$/;

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errCode(err) === 'EPERM';
  }
}

/** What the marker file says (constant, so outputs stay byte-identical across runs). */
const MARKER_TEXT = 'written by darekit; `darekit … --force` may replace this dir (it replaces no dir without this file)\n';

// Listeners for what OutputDir did on its own (leftovers of killed runs recovered or removed); the CLI prints them.
const noticeListeners = new Set<(message: string) => void>();

/** Be told (one line each) what output dirs recovered or removed on their own; returns an unsubscribe function. */
export function onOutputNotice(listener: (message: string) => void): () => void {
  noticeListeners.add(listener);
  return () => {
    noticeListeners.delete(listener);
  };
}

function notice(message: string): void {
  for (const l of noticeListeners) l(message);
}

/** Options of OutputDir.create. */
export interface OutputDirOptions {
  /** Replace an existing dir, but only an empty one or one darekit wrote (it holds the output marker). */
  force: boolean;
  /** Paths this run reads: the output may not be, contain or lie inside any of them (real paths compared). */
  inputs?: readonly (string | undefined)[];
}

/**
 * An output directory written atomically: everything goes to a hidden temp sibling
 * `.<name>.darekit-tmp-<pid>-<rand>` in the same parent, and `commit` fsyncs and renames it into place; with
 * force the old dir is first renamed to `.<name>.darekit-old-<pid>-<rand>` and deleted once the new one is in
 * place. An error, or an interruption the CLI turns into runCleanups(), removes the temp dir; a SIGKILL can only
 * leave hidden siblings, never a half-written final dir, and the next `create` for the same name recovers them
 * (a dead run's old dir is restored when the output is missing, everything else it left is removed).
 */
export class OutputDir {
  readonly finalDir: string;
  readonly tempDir: string;
  private readonly force: boolean;
  private readonly fds = new Set<number>();
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private flushesRunning = 0;
  private readonly unregister: () => void;

  private constructor(finalDir: string, tempDir: string, force: boolean) {
    this.finalDir = finalDir;
    this.tempDir = tempDir;
    this.force = force;
    this.unregister = registerCleanup(() => this.abort());
  }

  /**
   * Check everything before any work (a symlinked or input-overlapping output, an existing dir that may not be
   * replaced), recover leftovers of killed runs for this name, and create the temp dir with the output marker.
   */
  static create(finalDir: string, opts: OutputDirOptions): OutputDir {
    const abs = resolve(finalDir);
    assertPlainOutputPath(finalDir, abs);
    if (opts.inputs) assertOutputApartFromInputs(finalDir, opts.inputs);
    const parent = dirname(abs);
    const name = basename(abs);
    recoverLeftovers(abs);
    assertReplaceable(finalDir, abs, opts.force);
    try {
      mkdirSync(parent, { recursive: true });
    } catch (err) {
      throw inputError(`${parent}: cannot create the output's parent dir (${errCode(err)})`, err);
    }
    const tempDir = join(parent, `.${name}${TMP_TAG}${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(tempDir);
    } catch (err) {
      throw runtimeError(`${tempDir}: cannot create the temporary output dir (${errCode(err)})`, err);
    }
    const dir = new OutputDir(abs, tempDir, opts.force);
    try {
      dir.writeFile(OUTPUT_MARKER, MARKER_TEXT);
    } catch (err) {
      dir.abort();
      throw err;
    }
    return dir;
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw runtimeError(`internal: output dir ${this.finalDir} is already ${this.state}`);
  }

  private pathFor(name: string): string {
    if (name.length === 0 || name.includes('/') || name.includes('\\') || name === '.' || name === '..' || name.includes('\0')) {
      throw runtimeError(`internal: "${name}" is not a plain file name for the output dir`);
    }
    return join(this.tempDir, name);
  }

  /** Create the shard file, write its header, set its full size; returns a descriptor for positional writes. */
  openShard(plan: ShardPlan): number {
    this.assertOpen();
    const p = this.pathFor(plan.fileName);
    let fd: number;
    try {
      fd = openSync(p, 'wx');
    } catch (err) {
      throw runtimeError(`${p}: cannot create (${errCode(err)})`, err);
    }
    this.fds.add(fd);
    this.writeAt(fd, plan.header, 0);
    ftruncateSync(fd, plan.fileSize);
    return fd;
  }

  /** Write all of data at position (in 128 KiB pieces, looping on short writes). */
  writeAt(fd: number, data: Uint8Array, position: number): void {
    writeAllAt(fd, data, position);
  }

  /** Write a whole small file (an index, a recipe, a README) into the output dir. */
  writeFile(name: string, content: string | Uint8Array): void {
    this.assertOpen();
    writeFileSync(this.pathFor(name), content);
  }

  /**
   * Copy config.json (torch_dtype set to outDtype when given), generation_config.json and the tokenizer files
   * from a model dir, when present. Symlinks pointing outside fromDir are skipped; a side file that is not a
   * regular file (a FIFO, a device) is refused without blocking.
   */
  copySideFiles(fromDir: string, outDtype: OutDtype | undefined, edits: SideFileEdits = {}): void {
    this.assertOpen();
    let entries: string[];
    try {
      entries = readdirSync(fromDir);
    } catch (err) {
      throw inputError(`${fromDir}: cannot list the model dir (${errCode(err)})`, err);
    }
    const realDir = realpathSync(fromDir);
    for (const e of entries) {
      if (!SIDE_FILES.includes(e) && !TOKENIZER_FILE.test(e)) continue;
      if (edits.skipTokenizer && e !== 'config.json' && e !== 'generation_config.json') continue;
      const src = join(fromDir, e);
      if (lstatSync(src).isSymbolicLink() && !realpathSync(src).startsWith(realDir + sep)) continue;
      // a FIFO, device or dir under a side file's name is refused by readRegularFile* (never read, never blocking)
      if (edits.replace?.[e] !== undefined) continue; // written below
      if (e === 'config.json' && (outDtype !== undefined || edits.config !== undefined)) {
        this.writeFile(e, editedJson(src, 'config.json', { ...edits.config, ...(outDtype !== undefined ? dtypeKeys(src, outDtype) : {}) }));
      } else if (e === 'tokenizer_config.json' && edits.tokenizerConfig !== undefined) {
        this.writeFile(e, editedJson(src, 'tokenizer_config.json', edits.tokenizerConfig));
      } else {
        this.writeFile(e, readRegularFileBytes(src, 'side file'));
      }
    }
    for (const [name, text] of Object.entries(edits.replace ?? {}))
      if (!edits.skipTokenizer || name === 'config.json') this.writeFile(name, text);
  }

  /**
   * Start writing the shards' dirty pages to disk (fdatasync on libuv's pool) unless a flush is still running:
   * called periodically during a merge, it spreads the disk writes over the merge instead of leaving them all to
   * commit's fsync. Errors are ignored here; commit's fsync reports any that matter.
   */
  flushInBackground(): void {
    if (this.state !== 'open' || this.flushesRunning > 0) return;
    for (const fd of this.fds) {
      this.flushesRunning++;
      fdatasync(fd, () => {
        this.flushesRunning--;
      });
    }
  }

  /** fsync every file and the dir, then rename the temp dir into place (replacing the old dir with force). */
  commit(): void {
    if (this.state === 'committed') return;
    this.assertOpen();
    try {
      for (const fd of this.fds) {
        fsyncSync(fd);
        closeSync(fd);
      }
      this.fds.clear();
      for (const e of readdirSync(this.tempDir)) fsyncPath(join(this.tempDir, e));
      fsyncPath(this.tempDir);
    } catch (err) {
      this.abort();
      throw runtimeError(`${this.finalDir}: cannot flush the output to disk (${errCode(err)}); nothing was written`, err);
    }
    let old: string | undefined;
    if (this.force && lexists(this.finalDir)) {
      // re-checked here: the dir may have been filled since create
      try {
        assertReplaceable(this.finalDir, this.finalDir, true);
      } catch (err) {
        this.abort();
        throw err;
      }
      old = join(dirname(this.finalDir), `.${basename(this.finalDir)}${OLD_TAG}${process.pid}-${randomBytes(4).toString('hex')}`);
      try {
        renameSync(this.finalDir, old);
      } catch (err) {
        this.abort();
        throw runtimeError(`${this.finalDir}: cannot move the old output dir aside (${errCode(err)}); nothing was written`, err);
      }
      pauseForTests();
    }
    try {
      renameSync(this.tempDir, this.finalDir);
    } catch (err) {
      let restored = '';
      if (old !== undefined) {
        try {
          renameSync(old, this.finalDir);
        } catch (e2) {
          restored = `; the earlier output is kept at ${old} (${errCode(e2)}), the next run for this output restores it`;
        }
      }
      this.abort();
      const hint = errCode(err) === 'ENOTEMPTY' || errCode(err) === 'EEXIST' ? '; it was filled while darekit ran, use --force' : '';
      throw runtimeError(`${this.finalDir}: cannot move the finished output into place (${errCode(err)})${hint}${restored}`, err);
    }
    this.state = 'committed';
    this.unregister();
    // a kill during this removal leaves a hidden old dir, which the next run for this output removes
    if (old !== undefined) rmSync(old, { recursive: true, force: true });
    try {
      fsyncPath(dirname(this.finalDir));
    } catch {
      // The rename is done; a parent dir that cannot be fsynced (some filesystems) is not worth failing for.
    }
  }

  /** Close descriptors and remove the temp dir; safe to call more than once, a no-op after commit. */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.unregister();
    for (const fd of this.fds) {
      try {
        closeSync(fd);
      } catch {
        // already closed: nothing to release
      }
    }
    this.fds.clear();
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}

function fsyncPath(p: string): void {
  const fd = openSync(p, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The checks OutputDir.create makes before anything is written (a symlinked output, an output over an input, an
 * existing dir that may not be replaced), without side effects: for callers that create the output only after
 * long work (tune merges after analyzing and searching) and must refuse before that work starts.
 */
export function preflightOutputDir(finalDir: string, opts: OutputDirOptions): void {
  const abs = resolve(finalDir);
  assertPlainOutputPath(finalDir, abs);
  if (opts.inputs) assertOutputApartFromInputs(finalDir, opts.inputs);
  assertReplaceable(finalDir, abs, opts.force);
}

/** Test hook: stop between moving the old output aside and moving the new one in, so a test can kill us there. */
function pauseForTests(): void {
  const ms = Number(process.env.DAREKIT_TEST_COMMIT_PAUSE_MS ?? 0);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Refuse an output path that is a symlink (checked before any work: the rename at the end replaces the link itself). */
function assertPlainOutputPath(given: string, abs: string): void {
  let st;
  try {
    st = lstatSync(abs);
  } catch {
    return; // does not exist yet
  }
  if (st.isSymbolicLink()) {
    let target = '';
    try {
      target = ` to ${realpathSync(abs)}`;
    } catch {
      target = ' (dangling)';
    }
    throw inputError(
      `${given}: the output path is a symlink${target}; give the real dir or another output path (darekit replaces the output dir itself, never through a link)`,
    );
  }
}

/** Refuse an existing output that may not be replaced: a non-dir, a non-empty dir without force, or with force one darekit did not write. */
function assertReplaceable(given: string, abs: string, force: boolean): void {
  if (!lexists(abs)) return;
  const st = lstatSync(abs);
  if (!st.isDirectory()) throw inputError(`${given}: exists and is not a directory; choose another output path`);
  if (readdirSync(abs).length === 0) return;
  if (!force)
    throw inputError(
      `${given}: output dir exists and is not empty; use --force to replace it (only an empty dir or one darekit wrote is ever replaced)`,
    );
  if (!hasOutputMarker(abs)) {
    throw inputError(
      `${given}: --force replaces only an empty dir or one darekit wrote (holding ${OUTPUT_MARKER}), and this one holds ${describeEntries(abs)}; move those away or choose another output path`,
    );
  }
}

/** A hidden sibling a darekit run leaves while it writes: `.<name>.darekit-tmp-<pid>-<hex>` or `…-old-…`. */
function parseLeftover(prefixName: string, entry: string): { kind: 'tmp' | 'old'; pid: number } | undefined {
  for (const [kind, tag] of [
    ['tmp', TMP_TAG],
    ['old', OLD_TAG],
  ] as const) {
    const prefix = `.${prefixName}${tag}`;
    if (!entry.startsWith(prefix)) continue;
    const m = /^(\d+)-[0-9a-f]+$/.exec(entry.slice(prefix.length));
    if (m) return { kind, pid: Number(m[1]) };
  }
  return undefined;
}

/**
 * Recover what killed runs left for the output finalDir: when the output is missing, the newest earlier output a
 * dead run had moved aside is put back; every other leftover of a dead run (temp dirs, old dirs) is removed.
 * Returns one line per action (also sent to onOutputNotice listeners). Leftovers of live processes are untouched.
 */
export function recoverLeftovers(finalDir: string): string[] {
  const abs = resolve(finalDir);
  const parent = dirname(abs);
  const name = basename(abs);
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return [];
  }
  const dead = entries
    .map((e) => ({ e, l: parseLeftover(name, e) }))
    .filter(
      (x): x is { e: string; l: { kind: 'tmp' | 'old'; pid: number } } =>
        x.l !== undefined && x.l.pid !== process.pid && !isPidAlive(x.l.pid),
    );
  const said: string[] = [];
  const say = (m: string): void => {
    said.push(m);
    notice(m);
  };
  const olds = dead
    .filter((x) => x.l.kind === 'old')
    .map((x) => ({ ...x, mtime: lstatSync(join(parent, x.e)).mtimeMs }))
    .sort((p, q) => q.mtime - p.mtime);
  if (!lexists(abs) && olds.length > 0) {
    const o = olds.shift()!;
    try {
      renameSync(join(parent, o.e), abs);
      say(`${finalDir}: restored the earlier output from ${o.e} (process ${o.l.pid} was killed while replacing it)`);
    } catch (err) {
      throw runtimeError(
        `${finalDir}: cannot restore the earlier output from ${join(parent, o.e)} (${errCode(err)}); move it back by hand`,
        err,
      );
    }
  }
  for (const x of [...olds, ...dead.filter((d) => d.l.kind === 'tmp')]) {
    rmSync(join(parent, x.e), { recursive: true, force: true });
    say(
      x.l.kind === 'old'
        ? `${finalDir}: removed ${x.e}, an earlier output that process ${x.l.pid} had replaced but not finished deleting`
        : `${finalDir}: removed ${x.e}, the unfinished output of process ${x.l.pid}, which was killed`,
    );
  }
  return said;
}

/** Keys set in side files as they are copied (a merge's own values: layer count, chat template). */
export interface SideFileEdits {
  config?: Record<string, unknown>;
  tokenizerConfig?: Record<string, unknown>;
  /** Leave the tokenizer files out (mergekit's --no-copy-tokenizer). */
  skipTokenizer?: boolean;
  /** Files written instead of the layout model's (e.g. a rebuilt tokenizer.json), name → text. */
  replace?: Record<string, string>;
}

/** The dtype keys of a config.json for outDtype (torch_dtype, and `dtype` where newer transformers wrote it). */
function dtypeKeys(path: string, outDtype: OutDtype): Record<string, unknown> {
  const has = (() => {
    try {
      return 'dtype' in (JSON.parse(readRegularFileText(path, 'config.json')) as object);
    } catch {
      return false;
    }
  })();
  return has ? { torch_dtype: torchName(outDtype), dtype: torchName(outDtype) } : { torch_dtype: torchName(outDtype) };
}

/** A JSON object file with some keys set (key order kept, new keys last), pretty-printed as transformers writes it. */
function editedJson(path: string, what: string, set: Record<string, unknown>): string {
  const text = readRegularFileText(path, what);
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch (err) {
    throw inputError(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)}); fix or remove it`, err);
  }
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) throw inputError(`${path}: not a JSON object`);
  const obj = cfg as Record<string, unknown>;
  Object.assign(obj, set);
  return JSON.stringify(obj, null, 2) + '\n';
}

/** Refuse to start when the filesystem holding dir has less free space than bytesNeeded. */
export function checkFreeSpace(dir: string, bytesNeeded: number): void {
  let probe = resolve(dir);
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  const st = statfsSync(probe);
  // test hook: a full disk cannot be made portably without root, so tests set the free byte count
  const override = process.env.DAREKIT_FREE_BYTES_OVERRIDE;
  const free = override !== undefined && override !== '' ? Number(override) : Number(st.bavail) * Number(st.bsize);
  if (bytesNeeded > free) {
    throw runtimeError(
      `${dir}: needs ${formatBytes(bytesNeeded)} but only ${formatBytes(free)} is free on that filesystem; free space or choose another output dir`,
    );
  }
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
