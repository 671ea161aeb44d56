import { describe, expect, it } from 'vitest';
import { MERGE_KERNEL_EXPORTS, MODEL_KERNEL_EXPORTS, MODULE_EXPORTS } from '../../src/kernel/exports.js';
import { kernelModule } from '../../src/kernel/wasm.js';

describe('kernel exports', () => {
  it('the built module exports exactly the declared merge and model entry points (plus module exports and the analyzer stats_* kernels)', () => {
    const names = WebAssembly.Module.exports(kernelModule()).map((e) => e.name);
    const declared = new Set<string>([...MERGE_KERNEL_EXPORTS, ...MODEL_KERNEL_EXPORTS, ...MODULE_EXPORTS]);
    for (const d of declared) expect(names, `missing export ${d}`).toContain(d);
    const undeclared = names.filter((n) => !declared.has(n) && !n.startsWith('stats_'));
    expect(undeclared).toEqual([]);
  });
});
