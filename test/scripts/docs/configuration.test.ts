// docs/configuration.md is current: each of its generated blocks is the text its renderer gives
// from the table of variables, every variable has its row (with its default) in its group's
// table, and the page has no generated block that nothing renders.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { CONFIGURATION_PAGE, configurationBlocks } from '../../../scripts/docs/configuration.js'
import { ENV_DEFAULTS } from '../../../src/config/config.js'
import { RETIRED_VARIABLES, VARIABLE_ENTRIES } from '../../../src/config/variables.js'
import { ROOT } from '../../helpers/http.js'

const page = fs.readFileSync(path.join(ROOT, CONFIGURATION_PAGE), 'utf8')
const lines = page.split('\n')

/** The text between a block's two marker lines, or undefined when the page lacks them. */
function blockText (name: string): string | undefined {
  const begin = lines.indexOf(`<!-- BEGIN GENERATED: ${name} (npm run docs) -->`)
  const end = lines.indexOf(`<!-- END GENERATED: ${name} -->`)
  return begin === -1 || end <= begin ? undefined : lines.slice(begin + 1, end).join('\n')
}

t.test('each generated block of the page is current (else: run npm run docs)', async (t) => {
  for (const block of configurationBlocks) {
    t.equal(block.page, CONFIGURATION_PAGE)
    t.equal(blockText(block.name), block.render(), `${block.name} is current: run npm run docs`)
  }
})

t.test('the page has no generated block that nothing renders', async (t) => {
  const names = [...page.matchAll(/<!-- BEGIN GENERATED: (\S+) /g)].map((match) => match[1])
  t.same(names, configurationBlocks.map((block) => block.name), 'the blocks, in order, once each')
})

t.test('every variable has one row, in its group\'s table, showing its default; every retired one too', async (t) => {
  for (const [name, variable] of VARIABLE_ENTRIES) {
    const rows = lines.filter((line) => line.startsWith('| `' + name + '` |'))
    t.equal(rows.length, 1, `${name} has one row`)
    const shown = variable.shownDefault ?? ENV_DEFAULTS[name]
    if (shown !== '') t.ok(rows[0]?.includes('`' + shown + '`'), `${name} shows its default ${shown}`)
    t.ok(
      blockText(`configuration-${variable.group}`)?.includes('| `' + name + '` |'),
      `${name} is under ${variable.group}`
    )
  }
  for (const name of RETIRED_VARIABLES.keys()) {
    t.ok(
      blockText('configuration-retired')?.includes('`' + name + '`'),
    `${name} is listed as retired`
    )
  }
})
