// The README stays true. (The configuration variables are documented in docs/configuration.md,
// generated from their table: test/scripts/docs/configuration.test.ts.)
import t from 'tap'
import { README as readme } from './helpers/readme.js'

t.test('the README shows the two commands', async (t) => {
  t.ok(readme.includes('npm ci && npm start'))
  t.ok(readme.includes('npm test'))
})
