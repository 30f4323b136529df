// The README as tests read it: its text, and the tables under a given heading as rows of cells
// (backticks stripped), so the tests can hold the README and the code to each other.
import fs from 'node:fs'
import path from 'node:path'
import { ROOT } from './http.js'

/** The README's text. */
export const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')

/**
 * The body rows of the first table after the heading `heading` (e.g. '### Close codes', or a
 * paragraph's bold lead-in such as '**Metrics**'), each as
 * its cells with surrounding backticks and spaces removed.
 * @throws Error when the heading or its table is missing
 */
export function readmeTable (heading: string): string[][] {
  const lines = README.split('\n')
  const start = lines.findIndex((line) => line.trim() === heading || line.startsWith(`${heading} `))
  if (start === -1) throw new Error(`README has no heading ${heading}`)
  const rows: string[][] = []
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,6} /.test(line)) break
    if (!line.startsWith('|')) {
      if (rows.length > 0) break
      continue
    }
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim().replace(/^`([^`]*)`$/, '$1'))
    if (cells.every((cell) => /^:?-+:?$/.test(cell))) continue
    rows.push(cells)
  }
  if (rows.length < 2) throw new Error(`README has no table under ${heading}`)
  return rows.slice(1)
}
