// The generated documentation: every block of scripts/docs/blocks.ts is in its page and current
// (its text between the markers equals what its registry renders now), no page has a marker no
// block renders, and `npm run docs` rewrites only what is between the markers.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { DOC_BLOCKS } from '../../scripts/docs/blocks.js'
import {
  beginMarker,
  blockNames,
  blockText,
  endMarker,
  withBlock,
  type DocBlock
} from '../../scripts/docs/doc-block.js'
import { generateDocs, renderedPages } from '../../scripts/generate-docs.js'
import { ROOT } from '../helpers/http.js'
import { docPages } from '../helpers/readme.js'

t.test('every generated block is in its page, and current (else: run npm run docs)', async (t) => {
  t.ok(DOC_BLOCKS.length >= 8, `${DOC_BLOCKS.length} blocks`)
  for (const block of DOC_BLOCKS) {
    const text = fs.readFileSync(path.join(ROOT, block.page), 'utf8')
    const found = blockText(text, block.name)
    t.ok(
      found !== undefined,
      `${block.page}: block ${block.name} has its two markers (run npm run docs after adding them)`
    )
    t.equal(found, block.render(), `${block.page}: block ${block.name} is stale: run npm run docs`)
  }
})

t.test('blocks are named once per page, and no page has a marker no block renders', async (t) => {
  const keys = DOC_BLOCKS.map((block) => `${block.page}#${block.name}`)
  t.equal(new Set(keys).size, keys.length, 'unique')
  for (const page of docPages()) {
    const names = blockNames(fs.readFileSync(path.join(ROOT, page), 'utf8'))
    const rendered = DOC_BLOCKS.filter((block) => block.page === page).map((block) => block.name)
    t.same(names.filter((name) => !rendered.includes(name)), [], `${page}: every marker has its block`)
  }
})

t.test('npm run docs would change nothing: every page is as rendered', async (t) => {
  for (const [page, text] of renderedPages(ROOT)) {
    t.equal(
      fs.readFileSync(path.join(ROOT, page), 'utf8'),
      text,
    `${page}: run npm run docs`
    )
  }
})

const sample: DocBlock = { page: 'docs/sample.md', name: 'sample', render: () => '| a |\n|---|\n| 1 |' }

t.test('a block is rewritten in place; the text around it is kept byte for byte', async (t) => {
  const before = `# Title\n\nProse.\n${beginMarker('sample')}\nold line\nanother\n` +
    `${endMarker('sample')}\n\nMore prose.\n`
  const after = withBlock(before, sample)
  t.equal(
    after,
    `# Title\n\nProse.\n${beginMarker('sample')}\n| a |\n|---|\n| 1 |\n${endMarker('sample')}\n\nMore prose.\n`
  )
  t.equal(withBlock(after, sample), after, 'rendering twice changes nothing')
  t.equal(blockText(after, 'sample'), sample.render())
  const empty = withBlock(after, { ...sample, render: () => '' })
  t.equal(blockText(empty, 'sample'), '', 'an empty block keeps its markers')
  t.equal(withBlock(empty, sample), after)
})

t.test('missing, repeated or reversed markers are refused, naming the page and the block', async (t) => {
  const begin = beginMarker('sample')
  const end = endMarker('sample')
  for (const text of [
    'no markers',
    `${begin}\nx`,
    `x\n${end}`,
    `${end}\n${begin}`,
    `${begin}\n${end}\n${begin}\n${end}`,
    `${begin} trailing\n${end}`
  ]) {
    t.equal(blockText(text, 'sample'), undefined, JSON.stringify(text))
    t.throws(() => withBlock(text, sample), /docs\/sample\.md: the markers of block sample must each be there once/)
  }
})

t.test('generateDocs writes stale pages only, and refuses a marker no block renders', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-docs-'))
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }))
  fs.mkdirSync(path.join(root, 'docs'))
  const file = path.join(root, sample.page)
  fs.writeFileSync(file, `Intro\n${beginMarker('sample')}\nstale\n${endMarker('sample')}\nEnd\n`)
  t.same(generateDocs(root, [sample]), [sample.page], 'a stale page is written')
  t.equal(
    fs.readFileSync(file, 'utf8'),
    `Intro\n${beginMarker('sample')}\n${sample.render()}\n${endMarker('sample')}\nEnd\n`
  )
  t.same(generateDocs(root, [sample]), [], 'a current page is left alone')
  fs.appendFileSync(file, `${beginMarker('orphan')}\n${endMarker('orphan')}\n`)
  t.throws(() => generateDocs(root, [sample]), /docs\/sample\.md: no block renders orphan/)
})
