// The README stays true: every configuration variable is documented with its default, and the
// table documents no variable the code does not read.
import t from 'tap'
import { ENV_DEFAULTS, type EnvName } from '../src/config/config.js'
import { README as readme, readmeTable } from './helpers/readme.js'

t.test('every configuration variable is in the README table with its default', async (t) => {
  for (const name of Object.keys(ENV_DEFAULTS) as EnvName[]) {
    const row = readme.split('\n').find((line) => line.startsWith('|') && (line.split('|')[1] ?? '').includes('`' + name + '`'))
    t.ok(row, `${name} has a row`)
    const fallback = ENV_DEFAULTS[name]
    if (row !== undefined && fallback !== '') t.ok(row.includes('`' + fallback + '`'), `${name} shows its default ${fallback}`)
  }
})

t.test('every variable in the README table is one the code reads', async (t) => {
  const documented = readmeTable('## Configuration').flatMap(([names]) => (names ?? '').replaceAll('`', '').split(/,\s*/))
  t.ok(documented.length >= Object.keys(ENV_DEFAULTS).length, `${documented.length} variables documented`)
  t.same(documented.filter((name) => !Object.hasOwn(ENV_DEFAULTS, name)), [])
})

t.test('the README shows the two commands', async (t) => {
  t.ok(readme.includes('npm ci && npm start'))
  t.ok(readme.includes('npm test'))
})
