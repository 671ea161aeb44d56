// A fake Hugging Face Hub on 127.0.0.1, speaking the routes darekit uses, with the real headers: the paths-info API
// (@huggingface/hub's pathsInfo), `resolve/<rev>/<file>` (HEAD/GET; LFS files redirect to a CDN path with
// X-Linked-Size / X-Linked-Etag; X-Repo-Commit; Range → 206), and faults: a connection dropped mid-file, sizes
// or bytes that lie, a token requirement. It counts every byte it sends.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** One repo: a commit and its files. */
export interface FakeRepo {
  commit: string;
  files: Map<string, Buffer>;
  /** Require `Authorization: Bearer <token>`. */
  token?: string;
}

/** Faults to inject. */
export interface FakeFaults {
  /** Drop the connection after this many body bytes of the first GET of a file (path) without a Range. */
  dropAfter?: Map<string, number>;
  /** paths-info reports this size instead of the real one. */
  lieSize?: Map<string, number>;
  /** Send these files slowly (16 KiB every 10 ms), so a test can kill the client mid-download. */
  slow?: Set<string>;
  /** Serve these files with their last byte flipped (same length, valid header: only the sha256 can tell). */
  corrupt?: Set<string>;
}

/** A running fake Hub. */
export interface FakeHub {
  endpoint: string;
  repos: Map<string, FakeRepo>;
  faults: FakeFaults;
  /** Body bytes sent per file path (`org/name/file`). */
  sent: Map<string, number>;
  /** Range headers received per file path. */
  ranges: Map<string, string[]>;
  close(): Promise<void>;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');
const isLfs = (path: string): boolean => path.endsWith('.safetensors');

/** The files of a local model dir (flat), for a fake repo. */
export function repoFromDir(dir: string, commit: string): FakeRepo {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir)) if (statSync(join(dir, name)).isFile()) files.set(name, readFileSync(join(dir, name)));
  return { commit, files };
}

function parseRange(h: string | undefined, size: number): [number, number] | undefined {
  const m = /^bytes=(\d+)-(\d*)$/.exec(h ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return [start, end];
}

/** Start a fake Hub serving `repos` (keyed by `org/name`). */
export async function startFakeHub(repos: Map<string, FakeRepo>, faults: FakeFaults = {}): Promise<FakeHub> {
  const sent = new Map<string, number>();
  const ranges = new Map<string, string[]>();
  const dropped = new Set<string>();
  const count = (k: string, n: number): void => void sent.set(k, (sent.get(k) ?? 0) + n);

  const serveBytes = (req: IncomingMessage, res: ServerResponse, key: string, body: Buffer, headers: Record<string, string>): void => {
    const range = req.headers.range;
    if (range) ranges.set(key, [...(ranges.get(key) ?? []), range]);
    const r = parseRange(range, body.length);
    if (range && (!r || r[0] >= body.length)) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
      return;
    }
    const [start, end] = r ?? [0, body.length - 1];
    const part = body.subarray(start, end + 1);
    res.writeHead(r ? 206 : 200, {
      ...headers,
      'Accept-Ranges': 'bytes',
      'Content-Length': String(part.length),
      ...(r ? { 'Content-Range': `bytes ${start}-${end}/${body.length}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    const drop = faults.dropAfter?.get(key);
    if (drop !== undefined && !r && !dropped.has(key)) {
      dropped.add(key);
      res.write(part.subarray(0, drop), () => {
        count(key, drop);
        res.socket?.destroy();
      });
      return;
    }
    if (faults.slow?.has(key)) {
      let at = 0;
      const tick = (): void => {
        if (res.destroyed) return;
        const piece = part.subarray(at, at + 16384);
        at += piece.length;
        count(key, piece.length);
        if (at >= part.length) return void res.end(piece);
        res.write(piece, () => setTimeout(tick, 10));
      };
      tick();
      return;
    }
    count(key, part.length);
    res.end(part);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const authOk = (repo: FakeRepo): boolean => repo.token === undefined || req.headers.authorization === `Bearer ${repo.token}`;
    const info = /^\/api\/models\/([^/]+\/[^/]+)\/paths-info\/(.+)$/.exec(url.pathname);
    if (info && req.method === 'POST') {
      const repo = repos.get(info[1]!);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (!repo)
          return void res
            .writeHead(404, { 'Content-Type': 'application/json', 'X-Error-Code': 'RepoNotFound' })
            .end('{"error":"Repository not found"}');
        if (!authOk(repo)) return void res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"Invalid credentials"}');
        const paths = (JSON.parse(body) as { paths: string[] }).paths;
        const out = paths.flatMap((p) => {
          const b = repo.files.get(p);
          if (!b) return [];
          const size = faults.lieSize?.get(`${info[1]}/${p}`) ?? b.length;
          return [{ type: 'file', path: p, size, oid: sha1(b), ...(isLfs(p) ? { lfs: { oid: sha256(b), size, pointerSize: 134 } } : {}) }];
        });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(out));
      });
      return;
    }
    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(url.pathname);
    if (cdn) {
      const b = repos.get(cdn[1]!)?.files.get(decodeURIComponent(cdn[2]!));
      if (!b) return void res.writeHead(404).end();
      const key = `${cdn[1]}/${decodeURIComponent(cdn[2]!)}`;
      const body = faults.corrupt?.has(key) ? Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([b[b.length - 1]! ^ 1])]) : b;
      return serveBytes(req, res, key, body, { ETag: `"${sha256(b)}"` });
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) {
      const repo = repos.get(resolve[1]!);
      if (!repo) return void res.writeHead(404, { 'X-Error-Code': 'RepoNotFound' }).end();
      if (!authOk(repo)) return void res.writeHead(401).end();
      const rev = decodeURIComponent(resolve[2]!);
      if (rev !== 'main' && rev !== repo.commit) return void res.writeHead(404, { 'X-Error-Code': 'RevisionNotFound' }).end();
      const path = decodeURIComponent(resolve[3]!);
      const b = repo.files.get(path);
      if (!b) return void res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': repo.commit }).end();
      const key = `${resolve[1]}/${path}`;
      if (isLfs(path)) {
        const size = faults.lieSize?.get(key) ?? b.length;
        res
          .writeHead(302, {
            Location: `/cdn/${resolve[1]}/${encodeURIComponent(path)}`,
            'X-Repo-Commit': repo.commit,
            'X-Linked-Etag': `"${sha256(b)}"`,
            'X-Linked-Size': String(size),
            ETag: `"${sha1(b)}"`,
            'Content-Length': '0',
          })
          .end();
        return;
      }
      return serveBytes(req, res, key, b, { 'X-Repo-Commit': repo.commit, ETag: `"${sha1(b)}"` });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    repos,
    faults,
    sent,
    ranges,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Write a model dir into a fake HF cache (blobs by sha256, snapshot links, refs/main), as huggingface_hub does. */
export function fakeCacheRepo(cache: string, repo: string, commit: string, srcDir: string): string {
  const { mkdirSync, symlinkSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
  const repoDir = join(cache, `models--${repo.replace('/', '--')}`);
  const snap = join(repoDir, 'snapshots', commit);
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  mkdirSync(snap, { recursive: true });
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  for (const name of readdirSync(srcDir)) {
    if (!statSync(join(srcDir, name)).isFile()) continue;
    const b = readFileSync(join(srcDir, name));
    const etag = isLfs(name) ? sha256(b) : sha1(b);
    writeFileSync(join(repoDir, 'blobs', etag), b);
    symlinkSync(`../../blobs/${etag}`, join(snap, name));
  }
  writeFileSync(join(repoDir, 'refs', 'main'), commit);
  return snap;
}
