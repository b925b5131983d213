// Lint: typescript-eslint's strict type-checked rules, where they fit a codebase that reads
// untrusted JSON through zod and talks to VS Code's API; formatting is Prettier's alone.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.cache/**', 'node_modules/**', 'test/fixtures/**', '.vscode-test/**', 'media/**'] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    rules: {
      // Numbers and booleans read naturally in messages; objects, nullish values and unions with them do not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // noUncheckedIndexedAccess makes every indexed read optional; `!` marks reads that the line
      // before guarantees (a regex group that matched, an index inside the loop's bound).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `(x) => out(x)` passes a callback on; braces would only add noise.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Control characters are matched on purpose: they are what gets stripped from outside text.
      'no-control-regex': 'off',
      // `{ dropped, ...kept }` takes a field out; `_name` marks a parameter an interface requires.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests assert on JSON exactly as scripts receive it (untyped), field by field.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Cleanup hooks guard what a failed `before` may have left unassigned.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Fakes implement async interfaces with answers at hand.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'writable',
        exports: 'writable',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    // CommonJS files (the mocha reporter, the extension-host runner) load with require.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
