// ESLint 9 flat config: typescript-eslint's strict type-checked rules over every TypeScript file the
// tsconfig covers. Rules turned off or relaxed below fight a deliberate style of this codebase; each says why.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['.tools/', '.sweep/', '.bench-venv/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },
  {
    rules: {
      // With noUncheckedIndexedAccess, `!` marks an index that an invariant of the code guarantees.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Numbers and booleans in messages and labels are the point of most template literals here.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // node:test's test/describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after'] }] }],
      // `() => void x` and `(r) => setTimeout(r, n)` shorthands are the house style for callbacks.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidOperator: true }],
      // `const { dropped: _dropped, ...rest } = x` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // An async function without await still turns a throw into a rejection, as Promise-returning interfaces expect.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // `after(() => x?.close())` guards variables a failed `before` may have left unset (declared as set).
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Tests read untyped JSON (HTTP responses, SQL rows, dashboards) and assert its shape field by field.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Tests strip variables from a copy of process.env by name.
      '@typescript-eslint/no-dynamic-delete': 'off',
    },
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
