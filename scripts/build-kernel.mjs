// Builds the AssemblyScript SIMD kernel into build/kernel.wasm with the npm-installed compiler (no outside tools).
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'build'), { recursive: true });
const { error, stderr } = await asc.main([
  join(root, 'src/kernel/assembly/index.ts'),
  '--outFile',
  join(root, 'build/kernel.wasm'),
  '--textFile',
  join(root, 'build/kernel.wat'),
  '--optimizeLevel',
  '3',
  '--shrinkLevel',
  '0',
  '--noAssert',
  '--runtime',
  'stub',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
  '--enable',
  'simd',
  '--enable',
  'threads',
  '--exportStart',
  '_initialize',
]);
if (error) {
  process.stderr.write(stderr.toString());
  process.stderr.write(`kernel build failed: ${error.message}\n`);
  process.exit(1);
}
process.stdout.write('built build/kernel.wasm\n');
