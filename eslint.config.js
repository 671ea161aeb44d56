// Lint rules that guard the architecture (DESIGN's layout); formatting is prettier's job (npm run format).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'reports/**', 'src/kernel/assembly/**'] },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx', 'tools/**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    rules: {
      // The scalar kernel references are for tests and the `--kernel js` path only.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/kernel/reference/*', '**/kernel/reference'],
              message:
                'kernel/reference is for tests and the --kernel js path (merge/kernel-factory.ts) only; use kernel/mask-key.ts, kernel/float-bits.ts or the kernel ABI instead.',
            },
          ],
        },
      ],
    },
  },
  {
    // benchmarks and fuzzers (tools/) time and compare against the scalar references, like tests
    files: ['src/kernel/reference/**', 'src/merge/kernel-factory.ts', 'tools/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
