import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('published package', () => {
  it('ships the library, the CLI, the kernel and the bundled family, but no benchmarks, fuzzers, tools or generated data', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: resolve(__dirname, '../..'), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('build/kernel.wasm');
    expect(files).toContain('fixtures/families/S/base/model.safetensors');
    expect(files.filter((f) => /^(dist\/(bench|reliability|tools)|tools|build\/(src|tools))\/|^fixtures\/generated\//.test(f))).toEqual([]);
  });
});
