// The built kernel against its one ABI declaration (src/kernel/abi.ts): every export with its wasm signature, read
// from the module's own type and export sections, and every stats record field at the offset the ABI gives it,
// checked against values computed here from the field definitions.
import { describe, expect, it } from 'vitest';
import { DELTA_FIELD, DELTA_RECORD, KERNEL_ABI, MODULE_EXPORTS, PAIR_FIELD, PAIR_RECORD, type AbiType } from '../../src/kernel/abi.js';
import type { StatsKernelExports } from '../../src/kernel/exports.js';
import { readFileSync } from 'node:fs';
import { instantiateKernel, kernelModule, kernelWasmPath } from '../../src/kernel/wasm.js';
import { runChunk } from './stats-harness.js';

type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';
interface WasmSignature {
  params: ValType[];
  results: ValType[];
}

const VALTYPE: Record<number, ValType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };
/** How a parameter type of the ABI lands in wasm32. */
const WASM_OF: Record<AbiType, ValType> = { i32: 'i32', u32: 'i32', usize: 'i32', f32: 'f32', f64: 'f64' };

/** The signature of every exported function of a wasm binary, read from its type, import, function and export sections. */
function exportedSignatures(bin: Uint8Array): Map<string, WasmSignature> {
  let at = 8; // magic + version
  const u32 = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bin[at++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  const name = (): string => {
    const len = u32();
    at += len;
    return new TextDecoder().decode(bin.subarray(at - len, at));
  };
  const vec = <T>(item: () => T): T[] => Array.from({ length: u32() }, item);
  const limits = (): void => {
    const flags = bin[at++]!;
    u32();
    if (flags & 1) u32();
  };
  const types: WasmSignature[] = [];
  const funcTypes: number[] = []; // type index per function index (imports first)
  const exports = new Map<string, WasmSignature>();
  while (at < bin.length) {
    const id = bin[at++]!;
    const size = u32();
    const end = at + size;
    if (id === 1) {
      for (const t of vec(() => {
        expect(bin[at++]).toBe(0x60);
        return { params: vec(() => VALTYPE[bin[at++]!]!), results: vec(() => VALTYPE[bin[at++]!]!) };
      }))
        types.push(t);
    } else if (id === 2) {
      vec(() => {
        name();
        name();
        const kind = bin[at++]!;
        if (kind === 0) funcTypes.push(u32());
        else if (kind === 1) {
          at++;
          limits();
        } else if (kind === 2) limits();
        else at += 2; // global: valtype, mutability
      });
    } else if (id === 3) funcTypes.push(...vec(u32));
    else if (id === 7) {
      vec(() => {
        const n = name();
        const kind = bin[at++]!;
        const index = u32();
        if (kind === 0) exports.set(n, types[funcTypes[index]!]!);
      });
    }
    at = end;
  }
  return exports;
}

describe('kernel ABI', () => {
  it('build/kernel.wasm exports exactly the declared kernels and module exports', () => {
    const names = WebAssembly.Module.exports(kernelModule()).map((e) => e.name);
    expect(names.sort()).toEqual([...Object.keys(KERNEL_ABI), ...MODULE_EXPORTS].sort());
  });

  it('every export has the declared parameter and result types (from the wasm type section) and arity', () => {
    const signatures = exportedSignatures(readFileSync(kernelWasmPath()));
    const instance = instantiateKernel<Record<string, (...args: number[]) => unknown>>();
    for (const [name, decl] of Object.entries(KERNEL_ABI)) {
      const declared: WasmSignature = {
        params: decl.params.map((p) => WASM_OF[p.slice(p.indexOf(': ') + 2) as AbiType]),
        results: decl.result === 'void' ? [] : [WASM_OF[decl.result]],
      };
      expect(signatures.get(name), name).toEqual(declared);
      expect(instance.exports[name]!.length, name).toBe(decl.params.length);
    }
  });

  it('the record offsets derive from the ordered field lists', () => {
    expect(Object.entries(DELTA_FIELD)).toEqual(DELTA_RECORD.map((f, i) => [f.name, i]));
    expect(Object.entries(PAIR_FIELD)).toEqual(PAIR_RECORD.map((f, i) => [f.name, i]));
  });

  // base, two fine-tunes' deltas: dyadic values, so every sum is exact in any order and the fields all differ
  // (counts: A has 9 positive, 4 negative, 1 zero; B has 5, 7 (6 when poisoned), 2; each has |Δ| ≤ 0.002 and ≤ 0.005)
  const BASE = [0.5, 1, -0.25, 2, 0.125, 1, 0.75, -1, 3, 0.25, -0.5, 1.5, 0.375, -2];
  const DELTA_A = [2 ** -10, 2 ** -8, -2.5, 0, 0.5, -0.375, 1.5, -0.75, 0.25, 0.375, -1.25, 0.625, 0.125, 1.75];
  const DELTA_B = [-(2 ** -10), -0.5, -1, 0.75, 0, 2, -0.125, -0.25, 0.25, -3.5, -(2 ** -8), 0, 0.5, 1.25];

  /** Each delta record field of one fine-tune, from its definition. */
  function deltaExpected(base: number[], ft: number[]): Record<string, number> {
    const finite = base.map((b, i) => Number.isFinite(ft[i]! - b));
    const d = base.map((b, i) => ft[i]! - b).filter((_, i) => finite[i]);
    const sum = (xs: number[]): number => xs.reduce((a, x) => a + x, 0);
    return {
      nonFinite: finite.filter((f) => !f).length,
      sumDelta: sum(d),
      sumSqDelta: sum(d.map((x) => x ** 2)),
      sumAbsDelta: sum(d.map(Math.abs)),
      sumCubeDelta: sum(d.map((x) => x ** 3)),
      sumQuadDelta: sum(d.map((x) => x ** 4)),
      maxAbsDelta: Math.max(...d.map(Math.abs)),
      sumSqBase: sum(base.filter((_, i) => finite[i]).map((x) => x ** 2)),
      sumSqFt: sum(ft.filter((_, i) => finite[i]).map((x) => x ** 2)),
      positive: d.filter((x) => x > 0).length,
      negative: d.filter((x) => x < 0).length,
      zero: d.filter((x) => x === 0).length,
      le0002: d.filter((x) => Math.abs(x) <= 0.002).length,
      le0005: d.filter((x) => Math.abs(x) <= 0.005).length,
    };
  }

  /** Each pair record field of two fine-tunes' deltas (non-finite Δ count as 0), from its definition. */
  function pairExpected(da: number[], db: number[]): Record<string, number> {
    let dot = 0,
      bothNonzero = 0,
      conflicts = 0,
      minBoth = 0,
      minConflict = 0;
    da.forEach((x, i) => {
      const a = Number.isFinite(x) ? x : 0,
        b = Number.isFinite(db[i]!) ? db[i]! : 0;
      dot += a * b;
      if (a === 0 || b === 0) return;
      bothNonzero++;
      minBoth += Math.min(Math.abs(a), Math.abs(b));
      if (Math.sign(a) !== Math.sign(b)) {
        conflicts++;
        minConflict += Math.min(Math.abs(a), Math.abs(b));
      }
    });
    return { dot, bothNonzero, conflicts, minBoth, minConflict };
  }

  /** One stats_chunk over float32 models: both fine-tunes' delta records and the pair record, read by ABI offset. */
  function runStats(models: number[][]): { delta: Record<string, number>[]; pair: Record<string, number> } {
    const out = runChunk(
      instantiateKernel<StatsKernelExports>(),
      models.map((m) => new Uint8Array(new Float32Array(m).buffer)),
      models.map(() => 'F32'),
      models[0]!.length,
    );
    const read = (fields: readonly { name: string }[], rec: Float64Array, at: number): Record<string, number> =>
      Object.fromEntries(fields.map((f, i) => [f.name, rec[at + i]!]));
    return {
      delta: [0, 1].map((i) => read(DELTA_RECORD, out.delta, i * DELTA_RECORD.length)),
      pair: read(PAIR_RECORD, out.pair, 0),
    };
  }

  for (const [path, poison] of [
    ['fast', false],
    ['exact', true],
  ] as const) {
    it(`the stats kernel writes every record field at its ABI offset (${path} path)`, () => {
      const ftA = BASE.map((b, i) => b + DELTA_A[i]!);
      const ftB = BASE.map((b, i) => b + DELTA_B[i]!);
      if (poison) ftB[7] = Number.NaN; // a non-finite Δ sends the block down the exact path
      const want = [deltaExpected(BASE, ftA), deltaExpected(BASE, ftB)];
      const wantPair = pairExpected(
        ftA.map((f, i) => f - BASE[i]!),
        ftB.map((f, i) => f - BASE[i]!),
      );
      // the test can only see a misplaced field if the values of a record differ from each other
      for (const rec of [...want, wantPair]) expect(new Set(Object.values(rec)).size, JSON.stringify(rec)).toBe(Object.keys(rec).length);
      expect(Object.keys(want[0]!)).toEqual(DELTA_RECORD.map((f) => f.name));
      expect(Object.keys(wantPair)).toEqual(PAIR_RECORD.map((f) => f.name));
      const got = runStats([BASE, ftA, ftB]);
      expect(got.delta).toEqual(want);
      expect(got.pair).toEqual(wantPair);
    });
  }
});
