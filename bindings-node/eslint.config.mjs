// ESLint (flat config) for the hand-written JS of the package: lib/, __test__/, bench/
// (`make lint-node`). The generated index.js is napi-rs's, not linted.
import js from '@eslint/js'
import globals from 'globals'

const languageOptions = { ecmaVersion: 2024, globals: { ...globals.node } }

export default [
  { ignores: ['index.js', 'node_modules/', '*.node'] },
  js.configs.recommended,
  { files: ['**/*.js', '**/*.cjs'], languageOptions: { ...languageOptions, sourceType: 'commonjs' } },
  { files: ['**/*.mjs'], languageOptions: { ...languageOptions, sourceType: 'module' } },
  {
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
      'no-var': 'error',
    },
  },
]
