import { randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, fdatasync, fsyncSync, ftruncateSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync,
  realpathSync, renameSync, rmSync, statSync, statfsSync, writeFileSync, writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { inputError, runtimeError } from '../errors.js';
import { torchName, type OutDtype } from './dtypes.js';
import type { ShardPlan } from './writer.js';

const TMP_TAG = '.darekit-tmp-';
const OLD_TAG = '.darekit-old-';

/** Files copied from the base model dir beside the weights, when present. */
const SIDE_FILES = [
  'config.json', 'generation_config.json', 'special_tokens_map.json', 'added_tokens.json',
  'vocab.json', 'vocab.txt', 'merges.txt', 'tokenizer.model',
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

// Process-wide registry of open output dirs, so a Ctrl-C, a kill or an exit never leaves a temp dir behind.
const openDirs = new Set<OutputDir>();
let handlersInstalled = false;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (exitCode: number): void => {
    for (const d of [...openDirs]) d.abort();
    process.exit(exitCode); // the conventional 128 + signal number
  };
  process.on('SIGINT', () => onSignal(130));
  process.on('SIGTERM', () => onSignal(143));
  process.on('exit', () => {
    for (const d of [...openDirs]) d.abort();
  });
}

/**
 * An output directory written atomically: everything goes to a hidden temp sibling
 * `.<name>.darekit-tmp-<pid>-<rand>` in the same parent, and `commit` fsyncs and renames it into place.
 * An error, SIGINT or SIGTERM (handled here) removes the temp dir; a SIGKILL can only leave the hidden temp
 * sibling, never a half-written final dir, and the next `create` for the same name deletes temp siblings
 * whose pid is dead.
 */
export class OutputDir {
  readonly finalDir: string;
  readonly tempDir: string;
  private readonly force: boolean;
  private readonly fds = new Set<number>();
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private flushesRunning = 0;

  private constructor(finalDir: string, tempDir: string, force: boolean) {
    this.finalDir = finalDir;
    this.tempDir = tempDir;
    this.force = force;
  }

  /** Refuse an existing non-empty finalDir unless force, clean stale temp siblings, and create the temp dir. */
  static create(finalDir: string, opts: { force: boolean }): OutputDir {
    const abs = resolve(finalDir);
    if (existsSync(abs)) {
      const st = statSync(abs);
      if (!st.isDirectory()) throw inputError(`${finalDir}: exists and is not a directory; choose another output path`);
      if (!opts.force && readdirSync(abs).length > 0) {
        throw inputError(`${finalDir}: output dir exists and is not empty; use --force to replace it`);
      }
    }
    const parent = dirname(abs);
    const name = basename(abs);
    try {
      mkdirSync(parent, { recursive: true });
    } catch (err) {
      throw inputError(`${parent}: cannot create the output's parent dir (${errCode(err)})`, err);
    }
    removeStaleTemps(parent, name);
    const tempDir = join(parent, `.${name}${TMP_TAG}${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(tempDir);
    } catch (err) {
      throw runtimeError(`${tempDir}: cannot create the temporary output dir (${errCode(err)})`, err);
    }
    const dir = new OutputDir(abs, tempDir, opts.force);
    installHandlers();
    openDirs.add(dir);
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

  /** Write all of data at position (looping on short writes). */
  writeAt(fd: number, data: Uint8Array, position: number): void {
    let done = 0;
    while (done < data.length) {
      done += writeSync(fd, data, done, data.length - done, position + done);
    }
  }

  /** Write a whole small file (an index, a recipe, a README) into the output dir. */
  writeFile(name: string, content: string | Uint8Array): void {
    this.assertOpen();
    writeFileSync(this.pathFor(name), content);
  }

  /**
   * Copy config.json (torch_dtype set to outDtype when given), generation_config.json and the tokenizer files
   * from a model dir, when present. Symlinks pointing outside fromDir are skipped.
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
      if (!statSync(src).isFile()) continue;
      if (edits.replace?.[e] !== undefined) continue; // written below
      if (e === 'config.json' && (outDtype !== undefined || edits.config !== undefined)) {
        this.writeFile(e, editedJson(src, { ...edits.config, ...(outDtype !== undefined ? dtypeKeys(src, outDtype) : {}) }));
      } else if (e === 'tokenizer_config.json' && edits.tokenizerConfig !== undefined) {
        this.writeFile(e, editedJson(src, edits.tokenizerConfig));
      } else {
        this.writeFile(e, readFileSync(src));
      }
    }
    for (const [name, text] of Object.entries(edits.replace ?? {})) if (!edits.skipTokenizer || name === 'config.json') this.writeFile(name, text);
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
      fdatasync(fd, () => { this.flushesRunning--; });
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
    if (this.force && existsSync(this.finalDir)) {
      old = join(dirname(this.finalDir), `.${basename(this.finalDir)}${OLD_TAG}${process.pid}-${randomBytes(4).toString('hex')}`);
      try {
        renameSync(this.finalDir, old);
      } catch (err) {
        this.abort();
        throw runtimeError(`${this.finalDir}: cannot move the old output dir aside (${errCode(err)}); nothing was written`, err);
      }
    }
    try {
      renameSync(this.tempDir, this.finalDir);
    } catch (err) {
      if (old !== undefined) renameSync(old, this.finalDir);
      this.abort();
      const hint = errCode(err) === 'ENOTEMPTY' || errCode(err) === 'EEXIST' ? '; it was filled while darekit ran, use --force' : '';
      throw runtimeError(`${this.finalDir}: cannot move the finished output into place (${errCode(err)})${hint}`, err);
    }
    this.state = 'committed';
    openDirs.delete(this);
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
    openDirs.delete(this);
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

/** Delete `.<name>.darekit-tmp-<pid>-*` siblings left by a killed process (pid no longer alive). */
function removeStaleTemps(parent: string, name: string): void {
  const prefix = `.${name}${TMP_TAG}`;
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.startsWith(prefix)) continue;
    const m = /^(\d+)-[0-9a-f]+$/.exec(e.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !isPidAlive(pid)) rmSync(join(parent, e), { recursive: true, force: true });
  }
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
  const has = (() => { try { return 'dtype' in (JSON.parse(readFileSync(path, 'utf8')) as object); } catch { return false; } })();
  return has ? { torch_dtype: torchName(outDtype), dtype: torchName(outDtype) } : { torch_dtype: torchName(outDtype) };
}

/** A JSON object file with some keys set (key order kept, new keys last), pretty-printed as transformers writes it. */
function editedJson(path: string, set: Record<string, unknown>): string {
  let cfg: unknown;
  try {
    cfg = JSON.parse(readFileSync(path, 'utf8'));
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
    throw runtimeError(`${dir}: needs ${formatBytes(bytesNeeded)} but only ${formatBytes(free)} is free on that filesystem; free space or choose another output dir`);
  }
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
