// The README stays true: every configuration variable is documented with its default.
import t from 'tap'
import { ENV_DEFAULTS, type EnvName } from '../src/config/config.js'
import { README as readme } from './helpers/readme.js'

t.test('every configuration variable is in the README table with its default', async (t) => {
  for (const name of Object.keys(ENV_DEFAULTS) as EnvName[]) {
    const row = readme.split('\n').find((line) => line.startsWith('|') && (line.split('|')[1] ?? '').includes('`' + name + '`'))
    t.ok(row, `${name} has a row`)
    const fallback = ENV_DEFAULTS[name]
    if (row !== undefined && fallback !== '') t.ok(row.includes('`' + fallback + '`'), `${name} shows its default ${fallback}`)
  }
})

t.test('the README shows the two commands', async (t) => {
  t.ok(readme.includes('npm ci && npm start'))
  t.ok(readme.includes('npm test'))
})
