// The code's layout holds as the README says: no import cycles in src/, each folder on its floor
// (the error registry and what every listener shares import nothing above them), a header comment
// on every source file, every function under 60 lines (src/, bench/, scripts/, client/), and each
// src/ folder in the README's Code layout.
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

/** The folders whose functions the length rule measures and whose files need a header comment. */
const MEASURED = ['src', 'bench', 'scripts', 'client']

function parse (file: string): ts.SourceFile {
  return ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true)
}

const parsed = new Map(sourceFiles(SRC).map((file) => [file, parse(file)]))
const measured = new Map([
  ...parsed,
  ...MEASURED.slice(1).flatMap((dir) => sourceFiles(path.join(ROOT, dir)).map((file) => [file, parse(file)] as const))
])

/** The src/ files `file` imports (type-only imports included: a cycle of types is still a cycle). */
function importsOf (source: ts.SourceFile): string[] {
  const out: string[] = []
  for (const statement of source.statements) {
    const isModuleStatement = ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)
    if (isModuleStatement && statement.moduleSpecifier !== undefined && ts.isStringLiteral(statement.moduleSpecifier)) {
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
      const cycle = [...trail.slice(trail.indexOf(file)), file]
      cycles.push(cycle.map((f) => path.relative(SRC, f)).join(' -> '))
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

/** The src/ files that import nothing from src/: the registry's numbers and the clock. */
const LEAVES = ['account-limits.ts', 'monotonic-clock.ts']

/** Folders that must not import from the folders listed: shared floors stay below their users. */
const BELOW: ReadonlyArray<[string, readonly string[]]> = [
  ['edge', ['http', 'ws', 'operations', 'accounts', 'sessions', 'redis', 'protocol', 'logging']],
  ['ws', ['http']],
  ['operations', ['http']]
]

/** `file` relative to src/, with forward slashes. */
function inSrc (file: string): string {
  return path.relative(SRC, file).split(path.sep).join('/')
}

t.test('the leaves import nothing from src/', async (t) => {
  for (const leaf of LEAVES) {
    const source = parsed.get(path.join(SRC, leaf))
    t.ok(source !== undefined, `${leaf} exists`)
    if (source !== undefined) t.same(importsOf(source).map(inSrc), [], leaf)
  }
})

t.test('the error registry sits on the floor: errors.ts imports only leaves', async (t) => {
  const registry = parsed.get(path.join(SRC, 'errors.ts'))
  t.ok(registry !== undefined)
  if (registry !== undefined) t.same(importsOf(registry).map(inSrc).filter((file) => !LEAVES.includes(file)), [])
})

t.test('what both listeners share sits below them: no folder reaches up into another', async (t) => {
  for (const [folder, above] of BELOW) {
    const reaching: string[] = []
    for (const [file, source] of parsed) {
      if (!inSrc(file).startsWith(folder + '/')) continue
      for (const target of importsOf(source).map(inSrc)) {
        if (above.some((up) => target.startsWith(up + '/'))) reaching.push(`${inSrc(file)} -> ${target}`)
      }
    }
    t.same(reaching, [], `${folder}/ imports nothing from ${above.join('/, ')}/`)
  }
})

t.test('every source file opens with a comment saying what it is for', async (t) => {
  for (const [file, source] of measured) t.match(source.text, /^\/\/ \S/, path.relative(ROOT, file))
})

/** Every function with a body in `source`, as `file:line name` and its length in lines. */
function functionLengths (file: string, source: ts.SourceFile): Array<[string, number]> {
  const lengths: Array<[string, number]> = []
  const walk = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
      const named = ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)
      const name = named ? node.name?.getText(source) : undefined
      lengths.push([`${path.relative(ROOT, file)}:${start + 1} ${name ?? '(function)'}`, end - start + 1])
    }
    ts.forEachChild(node, walk)
  }
  walk(source)
  return lengths
}

for (const dir of MEASURED) {
  t.test(`every function in ${dir}/ is under ${MAX_FUNCTION_LINES} lines`, async (t) => {
    const lengths = [...measured]
      .filter(([file]) => file.startsWith(path.join(ROOT, dir) + path.sep))
      .flatMap(([file, source]) => functionLengths(file, source))
    lengths.sort((a, b) => b[1] - a[1])
    t.ok(lengths.length > 0, `${lengths.length} functions measured`)
    t.comment(`longest: ${lengths.slice(0, 3).map(([where, lines]) => `${where} ${lines} lines`).join('; ')}`)
    t.same(lengths.filter(([, lines]) => lines >= MAX_FUNCTION_LINES), [])
  })
}

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
