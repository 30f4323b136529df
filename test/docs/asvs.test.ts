// docs/asvs.md against the standard's own list (docs/asvs/requirements.json, extracted by
// scripts/extract-asvs.ts from OWASP/ASVS): every id there is a real ASVS 5.0 id, every level-1
// and level-2 requirement has exactly one row with its level, each row's status is one of four,
// every path it names exists, and the counts at the top are the rows'.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ROOT } from '../helpers/http.js'
import type { AsvsRequirements } from '../../scripts/extract-asvs.js'

const page = fs.readFileSync(path.join(ROOT, 'docs/asvs.md'), 'utf8')
const data = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs/asvs/requirements.json'), 'utf8')) as AsvsRequirements

const STATUSES = ['met', 'partly', 'not met', 'not applicable'] as const
type Status = typeof STATUSES[number]

/** One row of the page's tables. */
interface Row { id: string, level: string, applies: string, status: string, code: string, test: string, note: string }

/** Every table row whose first cell is a requirement id (x.y.z). */
function rows (): Row[] {
  return page.split('\n')
    .filter((line) => /^\| \d+\.\d+\.\d+ \|/.test(line))
    .map((line) => {
      const cells = line.slice(1, -1).split(' | ').map((cell) => cell.trim())
      const [id = '', level = '', , applies = '', status = '', code = '', test = '', note = ''] = cells
      return { id, level, applies, status, code, test, note }
    })
}

t.test('the data file is the standard\'s level-1 and level-2 list, with its source commit', async (t) => {
  t.match(data.source.commit, /^[0-9a-f]{40}$/)
  t.equal(data.source.repository, 'https://github.com/OWASP/ASVS')
  t.equal(data.requirements.length, 253, 'ASVS 5.0 has 253 requirements at level 1 or 2')
  t.equal(data.requirements.filter((r) => r.level === 1).length, 70)
  t.equal(new Set(data.requirements.map((r) => r.id)).size, 253, 'ids are unique')
})

t.test('every row is a real 5.0 id with its level, and every L1/L2 id has exactly one row', async (t) => {
  const levels = new Map(data.requirements.map((r) => [r.id, String(r.level)]))
  const seen = new Map<string, number>()
  for (const row of rows()) {
    t.equal(levels.get(row.id), row.level, `${row.id}: a level-${row.level} requirement of ASVS 5.0`)
    seen.set(row.id, (seen.get(row.id) ?? 0) + 1)
  }
  for (const { id } of data.requirements) t.equal(seen.get(id), 1, `${id} appears once`)
})

t.test('each row: a known status, "applies" agreeing with it, and what a status needs', async (t) => {
  for (const row of rows()) {
    t.ok(STATUSES.includes(row.status as Status), `${row.id}: status "${row.status}"`)
    t.equal(row.applies, row.status === 'not applicable' ? 'no' : 'yes', `${row.id}: applies`)
    if (row.status === 'not applicable' || row.status === 'not met') {
      t.not(row.note, '', `${row.id}: says why (or which issue meets it)`)
    }
    if (row.status === 'met') t.ok(row.code !== '—' || /docs\/|SECURITY\.md/.test(row.note), `${row.id}: names where`)
    if (row.status === 'partly' || row.status === 'not met') {
      t.match(row.note, /issue 2[01]|hardening issue|docs\//, `${row.id}: names what brings the rest`)
    }
  }
})

t.test('every path the page names exists', async (t) => {
  const pathSpan = /`((?:src|test|scripts|client|schemas|public|docs|deploy)\/[A-Za-z0-9_./-]*|package\.json)`/g
  const named = [...page.matchAll(pathSpan)].map((match) => match[1] ?? '')
  t.ok(named.length > 200, `${named.length} paths named`)
  for (const target of new Set(named)) t.ok(fs.existsSync(path.join(ROOT, target)), target)
})

t.test('the counts at the top are the rows\'', async (t) => {
  const count = (status: Status): number => rows().filter((row) => row.status === status).length
  const met = count('met')
  const partly = count('partly')
  const notMet = count('not met')
  const applicable = met + partly + notMet
  const summary = `**${met} met, ${partly} partly, ${notMet} not met, of ${applicable} that apply** ` +
    `(${count('not applicable')} of the 253 level-1 and\nlevel-2 requirements do not apply).`
  const block = /<!-- counts -->\n([\s\S]*?)\n<!-- \/counts -->/.exec(page)?.[1]
  t.equal(block, summary)
})
