// The README is a front door: it shows the two commands, stays short, links every reference page
// in docs/, and every relative link in it and in those pages leads to a file that exists.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ROOT } from './helpers/http.js'
import { docPages, README as readme, relativeLinks } from './helpers/readme.js'

/** Longest the README may grow, in lines: reference belongs in docs/. */
const MAX_README_LINES = 200

t.test('the README shows the two commands', async (t) => {
  t.ok(readme.includes('npm ci && npm start'))
  t.ok(readme.includes('npm test'))
})

t.test(`the README stays a front door (under ${MAX_README_LINES} lines)`, async (t) => {
  const lines = readme.split('\n').length
  t.ok(lines <= MAX_README_LINES, `${lines} lines`)
})

t.test('the README links every page of docs/, and the protocol document', async (t) => {
  const linked = new Set(relativeLinks('README.md'))
  for (const page of [...docPages(), 'docs/asyncapi.json', 'docs/configuration.md']) t.ok(linked.has(page), page)
})

t.test('every relative link of the README and of docs/ leads to a file', async (t) => {
  for (const page of ['README.md', ...docPages()]) {
    for (const target of relativeLinks(page)) {
      t.ok(fs.existsSync(path.join(ROOT, target)), `${page} → ${target}`)
    }
  }
})

/** Folders the build writes (git-ignored): named in the docs, absent from a fresh clone. */
const BUILT = ['dist/', 'public/assets/client/', 'client/generated/', 'src/protocol/generated/']

t.test('every file or folder of the project the README and docs/ name in code spans exists', async (t) => {
  const named = /`((?:src|test|scripts|bench|client|deploy|schemas|public|docs)\/[A-Za-z0-9_./-]*)`/g
  let count = 0
  for (const page of ['README.md', ...docPages()]) {
    const text = fs.readFileSync(path.join(ROOT, page), 'utf8')
    for (const [, target = ''] of text.matchAll(named)) {
      if (BUILT.some((folder) => target.startsWith(folder)) || target.includes('*')) continue
      count++
      t.ok(fs.existsSync(path.join(ROOT, target)), `${page} names ${target}`)
    }
  }
  t.ok(count > 50, `${count} paths checked`)
})
