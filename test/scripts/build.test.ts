// The build as a newcomer meets it (scripts/build.js, scripts/users.js), in a copy of the project
// with no build: the users CLI says how to make one; `npm run build` makes every output; then a
// second `npm start` and a CLI call compile nothing (no file of the build or of the generator is
// written: their modification times are unchanged, timing aside), and an edit to src/ is in the
// next start, without running the protocol generator again.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { childEnv, ROOT, runProcess } from '../helpers/http.js'
import type { Teardown } from '../helpers/test-server.js'

// A first build of the whole project, then an incremental one, beside the rest of the suite.
t.setTimeout(300_000)

const NOT_BUILT = 'hero-socket is not built yet: run `npm run build` (or `npm start`) first.\n'
/** What the build and the protocol generator write: none of it may change on a second start. */
const WRITTEN = ['dist', 'public/assets/client', 'client/generated', 'src/protocol/generated', 'docs/asyncapi.json']
const ENV = { PORT: '0', npm_config_update_notifier: 'false', npm_config_fund: 'false' }

/** A copy of the sources, with the installed packages linked in and nothing built or generated. */
function projectCopy (t: Teardown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-socket-build-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const skip = new Set(WRITTEN.map((p) => path.join(ROOT, p)))
  for (const entry of ['src', 'scripts', 'bench', 'client', 'schemas', 'public', 'package.json',
    'package-lock.json', 'tsconfig.json']) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true, filter: (src) => !skip.has(src) })
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'))
  return dir
}

/** Modification time (ns) of every file under `paths` of `dir`. */
function modificationTimes (dir: string): Map<string, bigint> {
  const times = new Map<string, bigint>()
  const visit = (file: string): void => {
    const stat = fs.statSync(file, { bigint: true })
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(file)) visit(path.join(file, name))
    } else {
      times.set(path.relative(dir, file), stat.mtimeNs)
    }
  }
  for (const p of WRITTEN) visit(path.join(dir, p))
  return times
}

/** `npm <args>` in `dir` to the end. */
function npm (dir: string, args: readonly string[]): ReturnType<typeof runProcess> {
  return runProcess('npm', ['--prefix', dir, ...args], ENV, '', 240_000)
}

/** `npm start` in `dir` until the server listens; its output so far. Stopped at once after. */
function npmStart (t: Teardown, dir: string): Promise<string> {
  const child = spawn('npm', ['--prefix', dir, 'start'], { cwd: dir, env: childEnv(ENV), detached: true })
  const stop = (): void => { try { process.kill(-(child.pid ?? 0), 'SIGKILL') } catch {} }
  t.teardown(stop)
  let output = ''
  return new Promise((resolve, reject) => {
    const onData = (s: string): void => {
      output += s
      if (output.includes('"allowed origins"')) {
        stop()
        resolve(output)
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', onData)
    child.on('exit', (code) => reject(new Error(`npm start exited (${code}) before listening:\n${output}`)))
  })
}

t.test('no build: the CLI says how to make one; a second start and a CLI call compile nothing', async (t) => {
  const dir = projectCopy(t)

  const unbuilt = await npm(dir, ['run', 'users', '--', 'list'])
  t.equal(unbuilt.code, 1, 'the CLI without a build fails')
  t.equal(unbuilt.stderr, NOT_BUILT, 'and says how to build, in one sentence')

  const built = await npm(dir, ['run', 'build'])
  t.equal(built.code, 0, built.stdout + built.stderr)
  for (const file of ['dist/src/server.js', 'dist/src/cli/users-cli.js', 'public/assets/client/hero-client.js',
    'client/generated/protocol.ts', 'client/generated/protocol-validators.js', 'src/protocol/generated/messages.ts',
    'docs/asyncapi.json']) {
    t.ok(fs.existsSync(path.join(dir, file)), `the first build makes ${file}`)
  }

  const before = modificationTimes(dir)
  t.match(await npmStart(t, dir), /Server listening at https:\/\/127\.0\.0\.1:\d+/, 'npm start serves')
  const listed = await npm(dir, ['run', 'users', '--', 'list'])
  t.equal(listed.code, 0, listed.stderr)
  t.match(listed.stdout, /^demo$/m, 'the CLI answers from the build (the demo user the start made)')
  t.same(modificationTimes(dir), before, 'no file of the build or of the generator was written')

  // A person who edits src/ and starts again runs the edit; the schemas did not change.
  const entry = path.join(dir, 'src', 'server.ts')
  fs.writeFileSync(entry, "process.stderr.write('this start runs the edit\\n')\n" + fs.readFileSync(entry, 'utf8'))
  t.match(await npmStart(t, dir), /this start runs the edit/, 'npm start compiles the edited file')
  const after = modificationTimes(dir)
  t.not(after.get('dist/src/server.js'), before.get('dist/src/server.js'), 'dist/src/server.js is rewritten')
  for (const file of ['dist/protocol.fingerprint', 'client/generated/protocol.ts', 'src/protocol/generated/messages.ts',
    'docs/asyncapi.json']) {
    t.equal(after.get(file), before.get(file), `the generator did not run again: ${file} is as it was`)
  }

  // An output deleted by hand comes back: TypeScript's build info alone would call it up to date.
  fs.rmSync(path.join(dir, 'public', 'assets', 'client'), { recursive: true })
  const rebuilt = await npm(dir, ['run', 'build'])
  t.equal(rebuilt.code, 0, rebuilt.stdout + rebuilt.stderr)
  const client = path.join(dir, 'public', 'assets', 'client', 'hero-client.js')
  t.ok(fs.existsSync(client), 'the deleted client is built again')
})
