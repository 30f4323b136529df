// Generated documentation blocks: a table that comes from a registry in code lives in its page
// (docs/*.md) between two marker lines, and `npm run docs` rewrites only what is between them.
// Pages are written by hand; a block is the one part of a page the code writes.

/** One generated block: the page it lives in, its name in the markers, and its markdown. */
export interface DocBlock {
  /** The page, relative to the package root, e.g. `docs/protocol.md`. */
  readonly page: string
  /** The block's name in its markers, e.g. `close-codes`. */
  readonly name: string
  /** The block's markdown, without the markers (no trailing newline). */
  readonly render: () => string
}

/** The line that opens block `name`. */
export function beginMarker (name: string): string {
  return `<!-- BEGIN GENERATED: ${name} (npm run docs) -->`
}

/** The line that closes block `name`. */
export function endMarker (name: string): string {
  return `<!-- END GENERATED: ${name} -->`
}

const BEGIN_LINE = /^<!-- BEGIN GENERATED: (\S+) \(npm run docs\) -->$/gm

/** The names of every block `text` opens, in page order. */
export function blockNames (text: string): string[] {
  return [...text.matchAll(BEGIN_LINE)].map((match) => match[1] ?? '')
}

/** The line indexes of block `name`'s two markers in `lines`, or undefined unless each is there once, in order. */
function markerLines (lines: readonly string[], name: string): { begin: number, end: number } | undefined {
  const at = (marker: string): number | undefined => {
    const found = lines.flatMap((line, index) => (line === marker ? [index] : []))
    return found.length === 1 ? found[0] : undefined
  }
  const begin = at(beginMarker(name))
  const end = at(endMarker(name))
  return begin === undefined || end === undefined || end < begin ? undefined : { begin, end }
}

/** The text between block `name`'s markers in `text`, or undefined when they are missing or repeated. */
export function blockText (text: string, name: string): string | undefined {
  const lines = text.split('\n')
  const span = markerLines(lines, name)
  return span === undefined ? undefined : lines.slice(span.begin + 1, span.end).join('\n')
}

/**
 * `text` with block `block.name` holding `block.render()`; nothing outside the markers changes.
 * @throws Error naming the page and block when its markers are missing, repeated or out of order
 */
export function withBlock (text: string, block: DocBlock): string {
  const lines = text.split('\n')
  const span = markerLines(lines, block.name)
  if (span === undefined) {
    throw new Error(
      `${block.page}: the markers of block ${block.name} must each be there once, in order, on lines of their own:\n` +
      `${beginMarker(block.name)}\n${endMarker(block.name)}`
    )
  }
  const rendered = block.render()
  const body = rendered === '' ? [] : rendered.split('\n')
  return [...lines.slice(0, span.begin + 1), ...body, ...lines.slice(span.end)].join('\n')
}

/** `text` as inline code. */
export function code (text: string | number): string {
  return '`' + String(text) + '`'
}

/** A markdown table; a `|` inside a cell is escaped so it cannot split the cell. */
export function markdownTable (headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`
  return [line(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n')
}
