// Seeded property tests: each model kernel (forward pass) against its scalar TypeScript reference. gemm, rmsnorm and
// rope replay the kernel's operation order exactly, so they must agree bit for bit; attention and silu_mul call
// exp, whose last bit may differ between AssemblyScript's Mathf.exp and JavaScript's Math.exp, so they agree to
// a stated tolerance.
import { describe, expect, it } from 'vitest';
import { KERNEL_DATA_BYTES, type ModelKernelExports } from '../../src/kernel/exports.js';
import { referenceModelKernel } from '../../src/kernel/reference/index.js';
import { instantiateKernel } from '../../src/kernel/wasm.js';
import { rng } from '../helpers/rng.js';

const MEM_BYTES = 8 << 20;
const wasm = instantiateKernel<ModelKernelExports>();
wasm.ensure(MEM_BYTES);
const refMemory = new WebAssembly.Memory({ initial: MEM_BYTES / 65536, maximum: MEM_BYTES / 65536, shared: true });
const ref = referenceModelKernel(refMemory);

/** Fill both memories with the same bytes (random f32 regions laid out by `setup`), run `call` on both. */
function runBoth(
  setup: (f32: Float32Array, i32: Int32Array) => void,
  call: (k: ModelKernelExports) => void,
): { got: Float32Array; want: Float32Array } {
  // the views start at 64 KiB: the module keeps exp's table in its data segment near address 1024
  const got = new Float32Array(wasm.memory.buffer, KERNEL_DATA_BYTES, (MEM_BYTES - KERNEL_DATA_BYTES) / 4);
  const want = new Float32Array(refMemory.buffer, KERNEL_DATA_BYTES, (MEM_BYTES - KERNEL_DATA_BYTES) / 4);
  got.fill(Number.NaN);
  setup(got, new Int32Array(wasm.memory.buffer, KERNEL_DATA_BYTES, (MEM_BYTES - KERNEL_DATA_BYTES) / 4));
  want.set(got);
  call(at(wasm.exports));
  call(at(ref));
  return { got, want };
}

/** The kernel with every pointer argument shifted by KERNEL_DATA_BYTES, so tests address their views from 0. */
function at(k: ModelKernelExports): ModelKernelExports {
  const o = KERNEL_DATA_BYTES;
  return {
    gemm_f32: (a, w, c, ...r) => k.gemm_f32(a + o, w + o, c + o, ...r),
    rmsnorm_f32: (x, w, out, ...r) => k.rmsnorm_f32(x + o, w + o, out + o, ...r),
    rope_f32: (x, rows, heads, hd, stride, pos, cos, sin) => k.rope_f32(x + o, rows, heads, hd, stride, pos + o, cos + o, sin + o),
    attention_f32: (q, kk, v, out, t, h0, h1, nh, nkv, hd, qs, ks, os, scale, scratch) =>
      k.attention_f32(q + o, kk + o, v + o, out + o, t, h0, h1, nh, nkv, hd, qs, ks, os, scale, scratch + o),
    silu_mul_f32: (g, u, out, n) => k.silu_mul_f32(g + o, u + o, out + o, n),
  };
}

function fillRandom(x: Float32Array, at: number, n: number, r: () => number, scale = 1): void {
  for (let i = 0; i < n; i++) x[at + i] = (r() * 2 - 1) * scale;
}

function expectBitEqual(got: Float32Array, want: Float32Array, from: number, n: number, what: string): void {
  for (let i = from; i < from + n; i++) {
    if (!Object.is(got[i], want[i])) expect.fail(`${what}: element ${i - from} differs: wasm ${got[i]} vs reference ${want[i]}`);
  }
}

function maxRelErr(got: Float32Array, want: Float32Array, from: number, n: number): number {
  let err = 0,
    mag = 0;
  for (let i = from; i < from + n; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    mag = Math.max(mag, Math.abs(want[i]!));
  }
  return mag === 0 ? err : err / mag;
}

describe('gemm_f32', () => {
  it('equals the reference bit for bit on random shapes (tails in m, n and k; k across several 256-slices) and column ranges', () => {
    const r = rng(13);
    for (let trial = 0; trial < 40; trial++) {
      const m = 1 + Math.floor(r() * 9),
        n = 1 + Math.floor(r() * 150),
        k = 1 + Math.floor(r() * (trial % 4 === 0 ? 700 : 70));
      const n0 = Math.floor(r() * n),
        n1 = n0 + 1 + Math.floor(r() * (n - n0));
      const A = 0,
        W = A + m * k,
        C = W + n * k;
      const { got, want } = runBoth(
        (x) => {
          fillRandom(x, A, m * k, r);
          fillRandom(x, W, n * k, r);
        },
        (kern) => kern.gemm_f32(A * 4, W * 4, C * 4, m, n, k, n0, n1),
      );
      for (let i = 0; i < m; i++) expectBitEqual(got, want, C + i * n + n0, n1 - n0, `gemm m=${m} n=${n} k=${k} [${n0},${n1}) row ${i}`);
      // columns outside [n0, n1) are left alone
      expect(Number.isNaN(got[C + (n0 > 0 ? 0 : n1 < n ? n1 : 0)]!) || (n0 === 0 && n1 === n)).toBe(true);
    }
  });

  it('is the matrix product a·wᵀ (float64 check, relative 1e-5)', () => {
    const r = rng(14);
    const m = 5,
      n = 7,
      k = 300;
    const A = 0,
      W = A + m * k,
      C = W + n * k;
    const { got } = runBoth(
      (x) => {
        fillRandom(x, A, m * k, r);
        fillRandom(x, W, n * k, r);
      },
      (kern) => kern.gemm_f32(A * 4, W * 4, C * 4, m, n, k, 0, n),
    );
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += got[A + i * k + q]! * got[W + j * k + q]!;
        expect(Math.abs(got[C + i * n + j]! - s)).toBeLessThan(1e-5 * k);
      }
  });
});

describe('rmsnorm_f32', () => {
  it('equals the reference bit for bit (in place and out of place)', () => {
    const r = rng(15);
    for (let trial = 0; trial < 30; trial++) {
      const rows = 1 + Math.floor(r() * 6),
        dim = 1 + Math.floor(r() * 130);
      const X = 0,
        Wt = X + rows * dim,
        O = trial % 2 === 0 ? X : Wt + dim;
      const { got, want } = runBoth(
        (x) => {
          fillRandom(x, X, rows * dim, r, 3);
          fillRandom(x, Wt, dim, r);
        },
        (kern) => kern.rmsnorm_f32(X * 4, Wt * 4, O * 4, rows, dim, 1e-5),
      );
      expectBitEqual(got, want, O, rows * dim, `rmsnorm rows=${rows} dim=${dim}`);
    }
  });
});

describe('rope_f32', () => {
  it('equals the reference bit for bit (heads, strides, odd half sizes, arbitrary positions)', () => {
    const r = rng(16);
    for (let trial = 0; trial < 30; trial++) {
      const rows = 1 + Math.floor(r() * 6),
        heads = 1 + Math.floor(r() * 4),
        hd = 2 * (1 + Math.floor(r() * 20));
      const stride = heads * hd + Math.floor(r() * 8),
        maxPos = 40,
        half = hd / 2;
      const X = 0,
        P = rows * stride,
        COS = P + rows,
        SIN = COS + maxPos * half;
      const { got, want } = runBoth(
        (x, i32) => {
          fillRandom(x, X, rows * stride, r, 2);
          for (let i = 0; i < rows; i++) i32[P + i] = Math.floor(r() * maxPos);
          fillRandom(x, COS, maxPos * half, r);
          fillRandom(x, SIN, maxPos * half, r);
        },
        (kern) => kern.rope_f32(X * 4, rows, heads, hd, stride, P * 4, COS * 4, SIN * 4),
      );
      expectBitEqual(got, want, X, rows * stride, `rope rows=${rows} heads=${heads} hd=${hd}`);
    }
  });
});

describe('attention_f32', () => {
  it('agrees with the reference to 1e-6 relative (grouped heads, head sizes with tails, strided rows)', () => {
    const r = rng(17);
    for (let trial = 0; trial < 20; trial++) {
      const nkv = 1 + Math.floor(r() * 3),
        group = 1 + Math.floor(r() * 3),
        nh = nkv * group;
      const hd = 1 + Math.floor(r() * 20),
        t = 1 + Math.floor(r() * 30);
      const qStride = nh * hd + 3,
        kvStride = nkv * hd + 1,
        oStride = nh * hd;
      const h0 = Math.floor(r() * nh),
        h1 = h0 + 1 + Math.floor(r() * (nh - h0));
      const Q = 0,
        K = Q + t * qStride,
        V = K + t * kvStride,
        O = V + t * kvStride,
        S = O + t * oStride;
      const { got, want } = runBoth(
        (x) => {
          fillRandom(x, Q, t * qStride, r, 2);
          fillRandom(x, K, t * kvStride, r, 2);
          fillRandom(x, V, t * kvStride, r);
          fillRandom(x, O, t * oStride, r);
        },
        (kern) =>
          kern.attention_f32(Q * 4, K * 4, V * 4, O * 4, t, h0, h1, nh, nkv, hd, qStride, kvStride, oStride, 1 / Math.sqrt(hd), S * 4),
      );
      expect(maxRelErr(got, want, O, t * oStride)).toBeLessThan(1e-6);
    }
  });
});

describe('silu_mul_f32', () => {
  it('agrees with the reference to 1e-6 relative', () => {
    const r = rng(18);
    const n = 1037,
      G = 0,
      U = n,
      O = 2 * n;
    const { got, want } = runBoth(
      (x) => {
        fillRandom(x, G, n, r, 12);
        fillRandom(x, U, n, r);
      },
      (kern) => kern.silu_mul_f32(G * 4, U * 4, O * 4, n),
    );
    for (let i = 0; i < n; i++) expect(Math.abs(got[O + i]! - want[O + i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(want[O + i]!) + 1e-30);
  });
});
