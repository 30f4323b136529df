// `npm run test:unit` runs only the tests that need nothing but Node: the files its --exclude
// globs leave out are exactly those that start redis-server, nginx, Chromium, prometheus or python
// (themselves, through a helper they import from test/ or scripts/, or through npm run cluster),
// besides the browser journeys (test/e2e) and the benchmark's smoke test (test/bench). A new test
// that starts one of those fails here until it is excluded; an exclusion that no longer needs to be
// one fails too, so the fast suite keeps its tests.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { ROOT } from '../helpers/http.js'

/** What in a test file, or a helper it imports, starts a program other than Node. */
const PROGRAMS: ReadonlyArray<[string, RegExp]> = [
  ['redis-server', /spawn\('redis-server'/],
  ['nginx', /'\/usr\/sbin\/nginx'/],
  ['Chromium', /chromium\.launch\(/],
  ['prometheus', /spawn\('prometheus'/],
  ['python', /'python3'/],
  // npm run cluster's script starts nginx and redis-server itself.
  ['nginx and redis-server (npm run cluster)', /'dist\/scripts\/cluster\.js'/]
]

/** Folders left out of the unit suite whatever they need: the browser journeys and the benchmark. */
const APART = ['test/e2e/', 'test/bench/']

/** This file, whose patterns would find themselves. */
const SELF = path.relative(ROOT, fileURLToPath(import.meta.url))

function testFiles (dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = `${dir}/${entry.name}`
    if (entry.isDirectory()) return testFiles(file)
    return file.endsWith('.test.ts') ? [file] : []
  })
}

/** The programs `file` starts, itself or through the files it imports (relative imports). */
function programsOf (file: string, seen = new Set<string>()): Set<string> {
  const found = new Set<string>()
  if (seen.has(file)) return found
  seen.add(file)
  const source = fs.readFileSync(path.join(ROOT, file), 'utf8')
  for (const [name, pattern] of PROGRAMS) if (pattern.test(source)) found.add(name)
  for (const [, specifier] of source.matchAll(/^import [^'\n]*'(\.[^']+)\.js'/gm)) {
    const imported = path.posix.join(path.posix.dirname(file), `${specifier ?? ''}.ts`)
    if (/^(test|scripts)\//.test(imported)) for (const name of programsOf(imported, seen)) found.add(name)
  }
  return found
}

/** The --exclude globs of the test:unit script: a file, or a folder ending in /**. */
function unitExclusions (): string[] {
  const script = (JSON.parse(
    fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')
  ) as { scripts: Record<string, string> }).scripts['test:unit'] ?? ''
  return [...script.matchAll(/--exclude '([^']+)'/g)].map(([, glob]) => glob ?? '')
}

function excludedBy (file: string, glob: string): boolean {
  return glob.endsWith('/**') ? file.startsWith(glob.slice(0, -2)) : file === glob
}

t.test('test:unit leaves out exactly the tests that need more than Node', async (t) => {
  const exclusions = unitExclusions()
  t.ok(exclusions.length > 0, 'test:unit has exclusions')
  for (const file of testFiles('test')) {
    if (file === SELF) continue
    const programs = [...programsOf(file)]
    const excluded = exclusions.some((glob) => excludedBy(file, glob))
    const apart = APART.some((folder) => file.startsWith(folder))
    if (programs.length > 0 || apart) {
      t.ok(
        excluded,
        `${file} is left out (${apart ? 'kept apart' : programs.join(', ')})`
      )
    } else t.notOk(excluded, `${file} needs only Node and runs in test:unit`)
  }
  for (const glob of exclusions) t.ok(testFiles('test').some((file) => excludedBy(file, glob)), `${glob} names a test`)
})
