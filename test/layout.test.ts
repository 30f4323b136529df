// The code's layout holds as the README says: no import cycles in src/, a header comment on every
// source file, every function under 60 lines, and each src/ folder in the README's Code layout.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import ts from 'typescript'
import { ROOT } from './helpers/http.js'
import { README } from './helpers/readme.js'

const SRC = path.join(ROOT, 'src')
/** Longest function allowed, in lines. */
const MAX_FUNCTION_LINES = 60

function sourceFiles (dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
}

const files = sourceFiles(SRC)
const parsed = new Map(files.map((file) => [file, ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true)]))

/** The src/ files `file` imports (type-only imports included: a cycle of types is still a cycle). */
function importsOf (source: ts.SourceFile): string[] {
  const out: string[] = []
  for (const statement of source.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier !== undefined && ts.isStringLiteral(statement.moduleSpecifier)) {
      const spec = statement.moduleSpecifier.text
      if (spec.startsWith('.')) out.push(path.resolve(path.dirname(source.fileName), spec.replace(/\.js$/, '.ts')))
    }
  }
  return out.filter((file) => parsed.has(file))
}

t.test('no import cycles in src/', async (t) => {
  const graph = new Map([...parsed].map(([file, source]) => [file, importsOf(source)]))
  const cycles: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (file: string, trail: string[]): void => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map((f) => path.relative(SRC, f)).join(' -> '))
      return
    }
    state.set(file, 'visiting')
    for (const next of graph.get(file) ?? []) visit(next, [...trail, file])
    state.set(file, 'done')
  }
  for (const file of graph.keys()) visit(file, [])
  t.same(cycles, [])
  t.ok(graph.size > 30, `${graph.size} files read`)
})

t.test('every source file opens with a comment saying what it is for', async (t) => {
  for (const [file, source] of parsed) t.match(source.text, /^\/\/ \S/, path.relative(ROOT, file))
})

t.test(`every function in src/ is under ${MAX_FUNCTION_LINES} lines`, async (t) => {
  const lengths: Array<[string, number]> = []
  for (const [file, source] of parsed) {
    const walk = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
        const name = ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) ? node.name?.getText(source) : undefined
        lengths.push([`${path.relative(ROOT, file)}:${start + 1} ${name ?? '(function)'}`, end - start + 1])
      }
      ts.forEachChild(node, walk)
    }
    walk(source)
  }
  lengths.sort((a, b) => b[1] - a[1])
  t.comment(`longest: ${lengths.slice(0, 3).map(([where, lines]) => `${where} ${lines} lines`).join('; ')}`)
  t.same(lengths.filter(([, lines]) => lines >= MAX_FUNCTION_LINES), [])
})

t.test('each folder of src/ is in the README\'s Code layout', async (t) => {
  const start = README.indexOf('## Code layout')
  t.not(start, -1, 'the README has a Code layout')
  const next = README.indexOf('\n## ', start + 1)
  const section = README.slice(start, next === -1 ? undefined : next)
  for (const entry of fs.readdirSync(SRC, { withFileTypes: true })) {
    if (entry.isDirectory()) t.ok(section.includes('`src/' + entry.name + '/`'), `src/${entry.name}/`)
    else t.ok(section.includes('`src/' + entry.name + '`'), `src/${entry.name}`)
  }
})
