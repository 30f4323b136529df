// The README and the reference pages as tests read them: their text, and the relative links they
// hold, so the tests can check that the front door points at pages that exist.
import fs from 'node:fs'
import path from 'node:path'
import { ROOT } from './http.js'

/** The README's text. */
export const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')

/** The markdown pages of docs/, relative to the package root (e.g. `docs/protocol.md`). */
export function docPages (): string[] {
  return fs.readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`)
}

/**
 * The relative links of the markdown page `page` (relative to the package root), each as the file
 * it points at (relative to the package root, its `#anchor` dropped). Web links are left out.
 */
export function relativeLinks (page: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, page), 'utf8')
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '')
  return targets
    .filter((target) => !/^[a-z]+:/.test(target) && !target.startsWith('#'))
    .map((target) => path.posix.normalize(path.posix.join(path.posix.dirname(page), target.replace(/#.*$/, ''))))
}

/** The body rows of a markdown table, each as its cells with surrounding backticks and spaces removed. */
export function tableRows (markdown: string): string[][] {
  const rows = markdown.split('\n').filter((line) => line.startsWith('|')).map((line) =>
    line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim().replace(/^`([^`]*)`$/, '$1')))
  return rows.filter((cells) => !cells.every((cell) => /^:?-+:?$/.test(cell))).slice(1)
}
