// The build: compiles scripts/, runs the protocol generator when schemas/ or the generator changed
// (protocol-fingerprint.ts), then compiles src/ and bench/ (tsconfig.json) and client/ (into
// public/assets/client), in one process, each project incremental (tsc's build mode, its state in
// dist/*.tsbuildinfo): an edit recompiles what it affects. Before any of that, a check of file
// times: when no source, schema, tsconfig or installed package changed since the last build
// (dist/build.stamp, dated when that build started, lists the input files), it does not even load
// TypeScript, so `npm start` on a built tree starts at once. Plain JavaScript: it runs before
// anything is compiled. `npm start` runs it with --before-start: on a production install
// (npm ci --omit=dev, no TypeScript) that finds a build, it leaves that build as it is.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const STAMP = path.join(ROOT, 'dist', 'build.stamp')
/** Folders whose files the build reads. */
const SOURCE_DIRS = ['src', 'bench', 'scripts', 'client', 'schemas']
/** Single files the build reads: the configs, the installed packages' record, the committed AsyncAPI. */
const SOURCE_FILES = [
  'package.json', 'package-lock.json', 'node_modules/.package-lock.json',
  'tsconfig.json', 'docs/asyncapi.json'
]
/** Outputs that must exist for the build to count as done. */
const OUTPUTS = ['dist/src/server.js', 'dist/src/cli/users-cli.js', 'public/assets/client/hero-client.js']
/**
 * Each project's build info (its tsconfig's tsBuildInfoFile) and an output it writes. TypeScript
 * trusts its build info, so an output deleted by hand (say, public/assets/client/) would never come
 * back: a missing output makes its project forget what it built.
 */
const BUILD_INFO = [
  ['dist/scripts.tsbuildinfo', 'dist/scripts/protocol-fingerprint.js'],
  ['dist/src.tsbuildinfo', 'dist/src/server.js'],
  ['dist/client.tsbuildinfo', 'public/assets/client/hero-client.js']
]

/** Every input file now (paths from the root, sorted) and the newest modification time (ms) among them. */
function inputs () {
  const files = SOURCE_FILES.filter((f) => fs.existsSync(path.join(ROOT, f)))
  for (const dir of SOURCE_DIRS) {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files.push(path.relative(ROOT, path.join(entry.parentPath ?? entry.path, entry.name)))
    }
  }
  files.sort()
  const newest = Math.max(...files.map((f) => fs.statSync(path.join(ROOT, f)).mtimeMs))
  return { list: files.join('\n') + '\n', newest }
}

/**
 * True when the last build started no earlier than every input last changed, with the same input files
 * (the stamp lists them: one added, removed or renamed counts as a change), and its outputs are there.
 */
function buildIsCurrent () {
  if (![STAMP, ...OUTPUTS.map((f) => path.join(ROOT, f))].every((file) => fs.existsSync(file))) return false
  const { list, newest } = inputs()
  return fs.readFileSync(STAMP, 'utf8') === list && newest <= fs.statSync(STAMP).mtimeMs
}

/** TypeScript's compiler API, or undefined when the development dependencies are not installed. */
async function loadTypeScript () {
  try {
    return (await import('typescript')).default
  } catch (err) {
    if (err.code === 'ERR_MODULE_NOT_FOUND') return undefined
    throw err
  }
}

/** Builds `projects` (tsconfig paths from the root) as `tsc -b` would; true if there was no error. */
function buildProjects (ts, projects) {
  const formatHost = {
    getCanonicalFileName: (file) => file,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => '\n'
  }
  const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics
  const report = (diagnostic) => process.stdout.write(format([diagnostic], formatHost))
  const host = ts.createSolutionBuilderHost(ts.sys, undefined, report, () => {})
  const builder = ts.createSolutionBuilder(host, projects.map((p) => path.join(ROOT, p)), {})
  return builder.build() === ts.ExitStatus.Success
}

/** The build proper; `started` is when it began. True if there was no error. */
async function build (ts, started) {
  for (const [info, output] of BUILD_INFO) {
    if (!fs.existsSync(path.join(ROOT, output))) fs.rmSync(path.join(ROOT, info), { force: true })
  }
  if (!buildProjects(ts, ['scripts/tsconfig.json'])) return false
  const fingerprint = await import('../dist/scripts/protocol-fingerprint.js')
  if (!fingerprint.protocolIsCurrent(ROOT)) {
    const { generateProtocol } = await import('../dist/scripts/generate-protocol.js')
    // Dated as of this build's start, like the stamp: they are its inputs' state then, and a
    // generated file newer than the stamp would send the next start into a build for nothing.
    for (const file of await generateProtocol(ROOT)) fs.utimesSync(file, started, started)
    fingerprint.recordProtocolFingerprint(ROOT)
  }
  return buildProjects(ts, ['tsconfig.json', 'client/tsconfig.json'])
}

async function main () {
  if (buildIsCurrent()) return 0
  const started = new Date()
  const ts = await loadTypeScript()
  if (ts === undefined) {
    if (process.argv.includes('--before-start') && fs.existsSync(path.join(ROOT, OUTPUTS[0]))) {
      process.stderr.write('hero-socket: TypeScript is not installed, so this starts the build in dist/ as it is\n')
      return 0
    }
    process.stderr.write('hero-socket cannot build: TypeScript is not installed (npm ci installs it)\n')
    return 1
  }
  if (!await build(ts, started)) return 1
  // Dated when the build started: a file edited while it ran is newer, and the next run builds again.
  fs.writeFileSync(STAMP, inputs().list)
  fs.utimesSync(STAMP, started, started)
  return 0
}

process.exitCode = await main()
