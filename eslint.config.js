// The one formatter and linter: neostandard (standard style as an ESLint flat config) with
// TypeScript, over src/, client/, scripts/, bench/ and test/, and lines of at most 120 characters.
import neostandard, { resolveIgnoresFromGitignore } from 'neostandard'

/** Longest line, in characters; only URLs are exempt (long strings and comments are wrapped). */
const MAX_LINE = 120

export default [
  ...neostandard({
    ts: true,
    // Built output and generated code are not written by hand; public/ holds only built assets and pages.
    ignores: [...resolveIgnoresFromGitignore(), 'public/**']
  }),
  {
    rules: {
      '@stylistic/max-len': ['error', { code: MAX_LINE, tabWidth: 2, ignoreUrls: true }],
      // `void promise()` marks a promise deliberately not awaited, and `return void call()` ends a
      // handler with a call: both are house idioms, and a floating promise is the worse outcome.
      'no-void': 'off',
      // It cannot see a condition changed by a callback or another async function (a flag cleared
      // by a timer, a count lowered by a socket's handler): every hit in this code was such a case.
      'no-unmodified-loop-condition': 'off',
      // A variable a listener reads, declared before the listener and assigned once after it (the listener must
      // be attached first), cannot be a const; every other single assignment still must be.
      'prefer-const': ['error', { destructuring: 'all', ignoreReadBeforeAssign: true }]
    }
  }
]
