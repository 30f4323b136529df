// `npm run docs`: rewrites every generated block of docs/*.md (scripts/docs/blocks.ts) from the
// registry it renders, in place, leaving the hand-written text around the markers untouched.
// A page with a marker no block renders stops it, naming the page and the block.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PACKAGE_ROOT } from '../src/config/package-root.js'
import { DOC_BLOCKS } from './docs/blocks.js'
import { blockNames, withBlock, type DocBlock } from './docs/doc-block.js'

/** Each page's text with its blocks rendered, by page (relative to `root`). */
export function renderedPages (root: string, blocks: readonly DocBlock[] = DOC_BLOCKS): Map<string, string> {
  const pages = new Map<string, string>()
  for (const block of blocks) {
    const text = pages.get(block.page) ?? fs.readFileSync(path.join(root, block.page), 'utf8')
    pages.set(block.page, withBlock(text, block))
  }
  for (const [page, text] of pages) {
    const unknown = blockNames(text)
      .filter((name) => !blocks.some((block) => block.page === page && block.name === name))
    if (unknown.length > 0) {
      throw new Error(
        `${page}: no block renders ${unknown.join(', ')} (add it to scripts/docs/blocks.ts, or remove its markers)`
      )
    }
  }
  return pages
}

/** Writes every page whose blocks changed; returns the pages written. */
export function generateDocs (root = PACKAGE_ROOT, blocks: readonly DocBlock[] = DOC_BLOCKS): string[] {
  const written: string[] = []
  for (const [page, text] of renderedPages(root, blocks)) {
    const file = path.join(root, page)
    if (fs.readFileSync(file, 'utf8') === text) continue
    fs.writeFileSync(file, text)
    written.push(page)
  }
  return written
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const written = generateDocs()
  console.log(written.length === 0 ? 'docs/: every generated block is current' : `docs/: rewrote ${written.join(', ')}`)
}
