// bench:forward — prefill throughput of darekit's forward pass (wasm SIMD kernel) on a Llama-shaped BF16 model of
// the bench family's shape, against torch on the CPU doing the same prefill where python3 can import torch; peak
// RSS of the forward pass (measured in a child process); and a probe-like run on family S (41 scoring passes over
// 256 short examples). Prints a table and writes reports/bench/forward.{json,md}.
//   npm run bench:forward -- [--layers N] [--hidden H] [--intermediate I] [--seqs N] [--len T] [--threads N] [--skip-torch] [--skip-probe]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFamily } from '../../src/fixtures/family.js';
import { mulberry32 } from '../../src/fixtures/prng.js';
import { loadLlamaConfig, type LlamaConfig } from '../../src/model/config.js';
import { createKernelPool, scoreSequences, type ScoreRequest } from '../../src/model/forward.js';
import { modelWeightSource } from '../../src/model/weights.js';
import { benchShape, PACKAGE_ROOT } from './family.js';

interface Args {
  layers: number;
  hidden: number;
  intermediate: number;
  seqs: number;
  len: number;
  threads: number;
  skipTorch: boolean;
  skipProbe: boolean;
}

function parseArgs(argv: string[]): Args & { child?: string } {
  const get = (k: string, d: number): number => {
    const i = argv.indexOf(k);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  const out: Args & { child?: string } = {
    layers: get('--layers', 10),
    hidden: get('--hidden', benchShape(1).hidden),
    intermediate: get('--intermediate', benchShape(1).intermediate),
    seqs: get('--seqs', 4),
    len: get('--len', 64),
    threads: get('--threads', availableParallelism()),
    skipTorch: argv.includes('--skip-torch'),
    skipProbe: argv.includes('--skip-probe'),
  };
  const c = argv.indexOf('--child');
  if (c >= 0) out.child = argv[c + 1]!;
  return out;
}

/** The bench model: the bench family's base shape (hidden 2048, intermediate 5632, vocab 32000, BF16) with `layers` layers. */
function ensureModel(a: Args): string {
  const { layers, hidden, intermediate } = a;
  const std = benchShape(1);
  const name =
    layers === std.layers && hidden === std.hidden && intermediate === std.intermediate
      ? 'bench-forward'
      : `bench-forward-h${hidden}-i${intermediate}-${layers}l`;
  const dir = join(PACKAGE_ROOT, 'fixtures', 'generated', name);
  if (!existsSync(join(dir, 'base', 'config.json'))) {
    process.stderr.write(`generating the forward bench model in ${dir} (once)…\n`);
    generateFamily({ ...std, layers, hidden, intermediate, outDir: dir, seed: 1, dtype: 'BF16', models: [], force: true });
  }
  return join(dir, 'base');
}

/** Matmul + attention FLOPs of a prefill (2 per multiply-add), head only over the scored rows. */
function prefillFlops(cfg: LlamaConfig, requests: ScoreRequest[]): number {
  const H = cfg.hiddenSize,
    QD = cfg.numHeads * cfg.headDim,
    KD = cfg.numKvHeads * cfg.headDim,
    I = cfg.intermediateSize;
  let rows = 0,
    pairs = 0,
    headRows = 0;
  for (const r of requests) {
    const T = r.tokens.length;
    rows += T;
    pairs += (T * (T + 1)) / 2;
    headRows += T - r.scoreFrom;
  }
  const perLayer = 2 * rows * (H * (QD + 2 * KD) + QD * H + 3 * H * I) + 4 * pairs * QD;
  return cfg.numLayers * perLayer + 2 * headRows * cfg.vocabSize * H;
}

function benchRequests(cfg: LlamaConfig, seqs: number, len: number): ScoreRequest[] {
  const r = mulberry32(7);
  return Array.from({ length: seqs }, () => ({
    tokens: Int32Array.from({ length: len }, () => Math.floor(r() * cfg.vocabSize)),
    scoreFrom: 1,
  }));
}

/** Child mode: one timed prefill; prints {seconds, maxRssMiB} as JSON (RSS of this process only). */
async function child(model: string, a: Args): Promise<void> {
  const source = modelWeightSource(model);
  const requests = benchRequests(source.config, a.seqs, a.len);
  const t0 = performance.now(),
    c0 = process.cpuUsage();
  await scoreSequences(source, requests, { threads: a.threads });
  const seconds = (performance.now() - t0) / 1000,
    c = process.cpuUsage(c0);
  source.close();
  process.stdout.write(
    JSON.stringify({ seconds, cpuSeconds: (c.user + c.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n',
  );
}

// The same prefill in torch (float32 on the BF16 weights widened), timed without the weight loading.
const TORCH_SCRIPT = String.raw`
import json, struct, sys, time, math, resource
import torch
model, seqs, length, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
cfg = json.load(open(model + '/config.json'))
raw = open(model + '/model.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
hdr = json.loads(raw[8:8 + n])
def t(name):
    e = hdr[name]; a, b = e['data_offsets']
    x = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.bfloat16).float()
    return x.reshape(e['shape'])
H, nh, L, V = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_hidden_layers'], cfg['vocab_size']
nkv = cfg.get('num_key_value_heads', nh); hd = H // nh; eps = cfg['rms_norm_eps']
W = {k: t(k) for k in hdr if k != '__metadata__'}
g = torch.Generator().manual_seed(7)
ids = torch.randint(0, V, (seqs, length), generator=g)
inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2).float() / hd))
ang = torch.arange(length).float()[:, None] * inv[None, :]
cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
mask = torch.full((length, length), float('-inf')).triu(1)
def rms(x, w): return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))
def rot(x): return torch.cat([-x[..., hd // 2:], x[..., :hd // 2]], -1)
def run():
    x = W['model.embed_tokens.weight'][ids]
    for l in range(L):
        p = 'model.layers.%d.' % l
        h = rms(x, W[p + 'input_layernorm.weight'])
        q = (h @ W[p + 'self_attn.q_proj.weight'].T).view(seqs, length, nh, hd).transpose(1, 2)
        k = (h @ W[p + 'self_attn.k_proj.weight'].T).view(seqs, length, nkv, hd).transpose(1, 2)
        v = (h @ W[p + 'self_attn.v_proj.weight'].T).view(seqs, length, nkv, hd).transpose(1, 2)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k, v = k.repeat_interleave(nh // nkv, 1), v.repeat_interleave(nh // nkv, 1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
        a = torch.softmax(s, -1) @ v
        x = x + a.transpose(1, 2).reshape(seqs, length, nh * hd) @ W[p + 'self_attn.o_proj.weight'].T
        h = rms(x, W[p + 'post_attention_layernorm.weight'])
        x = x + (torch.nn.functional.silu(h @ W[p + 'mlp.gate_proj.weight'].T) * (h @ W[p + 'mlp.up_proj.weight'].T)) @ W[p + 'mlp.down_proj.weight'].T
    logits = rms(x, W['model.norm.weight'])[:, :-1] @ W['lm_head.weight'].T
    return torch.log_softmax(logits, -1)
with torch.no_grad():
    t0, c0 = time.perf_counter(), time.process_time(); run(); s, c = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({'seconds': s, 'cpuSeconds': c, 'maxRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'torch': torch.__version__}))
`;

/** A python3 that imports torch (the PATH one, else Debian's /usr/bin/python3, where python3-torch installs) and its torch version. */
function torchPython(): { python: string; version: string } | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return undefined;
}

/** 41 scoring passes (base, fine-tune, 13 drop rates × 3 seeds) over 256 examples of S as byte ids: the probe's cost. */
async function probeLike(
  threads: number,
): Promise<{ seconds: number; cpuSeconds: number; passes: number; examples: number; positions: number }> {
  const S = join(PACKAGE_ROOT, 'fixtures', 'families', 'S');
  const enc = new TextEncoder();
  const requests: ScoreRequest[] = readFileSync(join(S, 'examples', 'sft-up.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { prompt, completion } = JSON.parse(line) as { prompt: string; completion: string };
      const p = enc.encode(prompt),
        c = enc.encode(completion);
      const tokens = new Int32Array(p.length + c.length);
      tokens.set(p);
      tokens.set(c, p.length);
      return { tokens, scoreFrom: p.length };
    });
  const passes = 2 + 13 * 3;
  const t0 = performance.now(),
    c0 = process.cpuUsage();
  const pool = createKernelPool(threads);
  try {
    for (let i = 0; i < passes; i++) {
      const source = modelWeightSource(join(S, 'base'));
      await scoreSequences(source, requests, { pool });
      source.close();
    }
  } finally {
    await pool.close();
  }
  const c = process.cpuUsage(c0);
  return {
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: (c.user + c.system) / 1e6,
    passes,
    examples: requests.length,
    positions: requests.reduce((a, r) => a + r.tokens.length, 0),
  };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.child) return child(a.child, a);
  const loadBefore = loadavg()[0]!;
  const model = ensureModel(a);
  const cfg = loadLlamaConfig(model);
  const flops = prefillFlops(cfg, benchRequests(cfg, a.seqs, a.len));
  const tokens = a.seqs * a.len;
  const runChild = (threads: number): { seconds: number; cpuSeconds: number; maxRssMiB: number } => {
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', model, '--seqs', String(a.seqs), '--len', String(a.len), '--threads', String(threads)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (r.status !== 0) throw new Error(`forward child failed (${r.status})`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; cpuSeconds: number; maxRssMiB: number };
  };
  const threadCounts = [...new Set([1, a.threads])];
  const darekit = threadCounts.map((threads) => {
    process.stderr.write(`darekit prefill, ${threads} thread(s)…\n`);
    const r = runChild(threads);
    return {
      threads,
      ...r,
      tokensPerSecond: tokens / r.seconds,
      gflops: flops / r.seconds / 1e9,
      gflopsPerCpuSecond: flops / r.cpuSeconds / 1e9,
    };
  });
  let torch:
    | {
        version: string;
        threads: number;
        seconds: number;
        cpuSeconds: number;
        maxRssMiB: number;
        tokensPerSecond: number;
        gflops: number;
        gflopsPerCpuSecond: number;
      }
    | { skipped: string };
  const found = a.skipTorch ? undefined : torchPython();
  if (!found) {
    torch = { skipped: a.skipTorch ? '--skip-torch' : 'python3 cannot import torch here (install python3-torch to compare)' };
  } else {
    process.stderr.write(`torch prefill, ${a.threads} thread(s)…\n`);
    const r = spawnSync(found.python, ['-c', TORCH_SCRIPT, model, String(a.seqs), String(a.len), String(a.threads)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
    if (r.status !== 0) throw new Error(`torch prefill failed (${r.status})`);
    const t = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; cpuSeconds: number; maxRssMiB: number; torch: string };
    torch = {
      version: t.torch,
      threads: a.threads,
      seconds: t.seconds,
      cpuSeconds: t.cpuSeconds,
      maxRssMiB: t.maxRssMiB,
      tokensPerSecond: tokens / t.seconds,
      gflops: flops / t.seconds / 1e9,
      gflopsPerCpuSecond: flops / t.cpuSeconds / 1e9,
    };
  }
  const probe = a.skipProbe ? undefined : (process.stderr.write('probe-like run on family S…\n'), await probeLike(a.threads));
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memGiB: +(totalmem() / 2 ** 30).toFixed(1),
      node: process.version,
      loadAverage: +loadBefore.toFixed(2),
    },
    model: {
      path: model,
      hidden: cfg.hiddenSize,
      intermediate: cfg.intermediateSize,
      layers: cfg.numLayers,
      heads: cfg.numHeads,
      vocab: cfg.vocabSize,
      dtype: 'BF16',
    },
    workload: { sequences: a.seqs, length: a.len, tokens, gflop: flops / 1e9 },
    darekit,
    torch,
    probe,
  };
  const best = darekit[darekit.length - 1]!;
  const lines = [
    `# bench:forward`,
    '',
    `Prefill of ${a.seqs} × ${a.len} tokens (${(flops / 1e9).toFixed(1)} GFLOP) through a Llama-shaped BF16 model: hidden ${cfg.hiddenSize}, intermediate ${cfg.intermediateSize}, ${cfg.numLayers} layers, ${cfg.numHeads} heads, vocab ${cfg.vocabSize}; scores of every next token (log-softmax over the vocabulary).`,
    '',
    '| engine | threads | seconds | CPU seconds | tokens/s | GFLOP/s | GFLOP per CPU-second | peak RSS (MiB) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...darekit.map(
      (d) =>
        `| darekit (wasm SIMD) | ${d.threads} | ${d.seconds.toFixed(2)} | ${d.cpuSeconds.toFixed(2)} | ${d.tokensPerSecond.toFixed(1)} | ${d.gflops.toFixed(2)} | ${d.gflopsPerCpuSecond.toFixed(2)} | ${d.maxRssMiB.toFixed(0)} |`,
    ),
    'skipped' in torch
      ? `| torch | – | skipped: ${torch.skipped} | | | | | |`
      : `| torch ${torch.version} (CPU, f32) | ${torch.threads} | ${torch.seconds.toFixed(2)} | ${torch.cpuSeconds.toFixed(2)} | ${torch.tokensPerSecond.toFixed(1)} | ${torch.gflops.toFixed(2)} | ${torch.gflopsPerCpuSecond.toFixed(2)} | ${torch.maxRssMiB.toFixed(0)} (all weights as f32) |`,
    '',
    'skipped' in torch
      ? ''
      : `darekit (${best.threads} threads) reaches ${((100 * best.gflops) / torch.gflops).toFixed(0)}% of torch's GFLOP/s in wall-clock time and ${((100 * best.gflopsPerCpuSecond) / torch.gflopsPerCpuSecond).toFixed(0)}% per CPU-second (target ≥ 25%).`,
    probe
      ? `Probe-like run on family S: ${probe.passes} scoring passes × ${probe.examples} examples (${probe.positions} positions in all) in ${probe.seconds.toFixed(2)} s (${probe.cpuSeconds.toFixed(2)} CPU-s) with ${a.threads} thread(s) (target < 30 s).`
      : '',
    '',
    `machine: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.memGiB} GiB, Node ${result.machine.node}, load average ${result.machine.loadAverage} (1 min, other work on the machine). Peak RSS of the forward pass alone (child process). GFLOP per CPU-second is the figure that survives a busy machine (wall-clock GFLOP/s falls with the load average).`,
  ].filter((l, i, all) => l !== '' || all[i - 1] !== '');
  const md = lines.join('\n');
  process.stdout.write(md + '\n');
  const dir = join(PACKAGE_ROOT, 'reports', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'forward.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(dir, 'forward.md'), md + '\n');
}

await main();
