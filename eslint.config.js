// ESLint flat config (`npm run lint`, also run by `npm test`). Formatting is Prettier's (.prettierrc.json); this
// config holds a few rules that catch real faults, with type information, plus the house's size limits:
// lines of at most 140 characters (the comments and strings Prettier cannot wrap), and in the engine's code
// (engine/, connectors/, transforms/, hl7v2/) files of at most 300 lines and functions of at most 60, counted like
// `wc -l` (blank and comment lines count).
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const sizeLimited = ['engine/**/*.ts', 'connectors/**/*.ts', 'transforms/**/*.ts', 'hl7v2/**/*.ts'];

export default defineConfig(
  globalIgnores(['dist/', 'admin-ui/dist/', 'var/', 'bench/results/', 'tests/artifacts/']),
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      // Each file is checked with the nearest tsconfig.json (admin-ui/ has its own).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // A promise nobody awaits loses its rejection (an unhandled rejection stops the process) and its ordering.
      // Mark a deliberate one with `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      // A switch over a union names every member (or has a default), so a new member is not silently ignored.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js'],
    rules: {
      // Prettier wraps code at 140; this catches what it cannot wrap (comments, strings, template literals).
      // max-len is deprecated in ESLint's core but kept until ESLint 11; eslint is pinned.
      'max-len': ['error', { code: 140, tabWidth: 2 }],
    },
  },
  {
    files: sizeLimited,
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
);
