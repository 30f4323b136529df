// The real process (dist/src/server.js): a bad configuration exits 1 naming the variable and
// writes nothing; a first start creates an owner-only users file and development key, prints
// the demo password once, and that password logs in; SIGTERM closes it with exit code 0, and
// its password hashing child process (at HASH_WORKER_NICE) with it.
import t, { type Test } from 'tap'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { HASH_WORKER_NICE } from '../src/accounts/hashing-process.js'
import { postLogin, runNode } from './helpers/http.js'
import { childPids, commandLine, isGone, threadNices, waitUntilGone } from './helpers/processes.js'
import { SERVER, startServerProcess } from './helpers/server-process.js'
import type { TestServer } from './helpers/test-server.js'

const DEMO_PASSWORD_LINE = /^ {2}password: (\S+)$/gm

/** Temporary DATA_DIR and CERTS_DIR, and the environment naming them. */
function tempDirs (t: Test): { dataDir: string, certsDir: string, env: Record<string, string> } {
  const dir = t.testdir({})
  const dataDir = path.join(dir, 'data')
  const certsDir = path.join(dir, 'certs')
  return { dataDir, certsDir, env: { DATA_DIR: dataDir, CERTS_DIR: certsDir, PORT: '0', HOST: '127.0.0.1' } }
}

function assertNothingWritten (t: Test, dataDir: string, certsDir: string, what: string): void {
  t.notOk(fs.existsSync(path.join(dataDir, 'users.json')), `${what}: no users file created`)
  t.notOk(fs.existsSync(path.join(certsDir, 'dev-key.pem')), `${what}: no development key created`)
}

/** A metrics token file whose token is too short (at least 16 characters are asked). */
const SHORT_TOKEN = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hero-socket-token-')), 'token')
fs.writeFileSync(SHORT_TOKEN, 'too short\n', { mode: 0o600 })
t.teardown(() => fs.rmSync(path.dirname(SHORT_TOKEN), { recursive: true, force: true }))

const badStarts: Array<{ env: Record<string, string>, variable: string }> = [
  { env: { PORT: 'abc' }, variable: 'PORT' },
  { env: { HOST: '0.0.0.0' }, variable: 'HOST' },
  { env: { TLS_CERT: '/nonexistent/cert.pem', TLS_KEY: '/nonexistent/key.pem' }, variable: 'TLS_CERT' },
  { env: { METRICS_PORT: '0', METRICS_TOKEN_FILE: '/nonexistent/metrics-token' }, variable: 'METRICS_TOKEN_FILE' },
  { env: { METRICS_PORT: '0', METRICS_TOKEN_FILE: SHORT_TOKEN }, variable: 'METRICS_TOKEN_FILE' }
]

t.test('a bad configuration exits 1 naming the variable and writes nothing', async (t) => {
  const runs = badStarts.map(({ env }) => ({ dirs: tempDirs(t), env }))
  // Independent of each other: run side by side, as process start-up is most of the cost.
  const results = await Promise.all(runs.map(({ dirs, env }) => runNode(SERVER, [], { ...dirs.env, ...env })))
  badStarts.forEach(({ env, variable }, i) => {
    const name = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')
    const result = results[i]
    const dirs = runs[i]?.dirs
    t.equal(result?.code, 1, `${name}: exit code 1`)
    t.match(result?.stderr, new RegExp(`^hero-socket: Invalid configuration: ${variable}\\b`, 'm'), `${name}: stderr names ${variable}`)
    t.notMatch(result?.stderr, /\n\s+at /, `${name}: a message, not a stack trace`)
    t.notMatch(result?.stdout, /password:/, `${name}: no demo password printed`)
    t.notMatch(result?.stdout, /Server listening/, `${name}: never listened`)
    if (dirs !== undefined) assertNothingWritten(t, dirs.dataDir, dirs.certsDir, name)
  })
})

t.test('a first start prints the demo password once, owner-only files, and that password logs in', async (t) => {
  const dirs = tempDirs(t)
  const server = await startServerProcess(dirs.env)
  t.teardown(() => { server.child.kill('SIGKILL') })

  const passwords = [...server.stdout().matchAll(DEMO_PASSWORD_LINE)].map((m) => m[1])
  t.equal(passwords.length, 1, 'the demo password is printed once')
  const password = passwords[0] ?? ''
  t.ok(password.length >= 16, 'a long random password')
  t.equal(server.stdout().split(password).length - 1, 1, 'and appears nowhere else in the output')
  t.match(server.stdout(), /user "demo"/)

  const usersFile = path.join(dirs.dataDir, 'users.json')
  t.equal(fs.statSync(usersFile).mode & 0o777, 0o600, 'users file is 0600')
  t.notOk(fs.readFileSync(usersFile, 'utf8').includes(password), 'the file holds a hash, not the password')
  t.equal(fs.statSync(path.join(dirs.certsDir, 'dev-key.pem')).mode & 0o777, 0o600, 'development key is 0600')
  t.ok(fs.existsSync(path.join(dirs.certsDir, 'dev-cert.pem')))

  const origin = `https://127.0.0.1:${server.port}`
  const target = { url: origin, origin } as TestServer
  const wrong = await postLogin(target, 'demo', password + 'x')
  t.equal(wrong.status, 401)
  const login = await postLogin(target, 'demo', password)
  t.equal(login.status, 303, 'the printed password logs in')
  t.match(login.headers.get('set-cookie'), /^__Host-sid=[A-Za-z0-9_-]{43};/)

  server.child.kill('SIGTERM')
  const { code, signal } = await server.exit
  t.equal(code, 0, 'SIGTERM: exit code 0')
  t.equal(signal, null)
})

t.test('SIGTERM ends the hashing child process with the server', async (t) => {
  const dirs = tempDirs(t)
  const server = await startServerProcess(dirs.env)
  t.teardown(() => { server.child.kill('SIGKILL') })
  const children = childPids(server.child.pid ?? 0)
  t.equal(children.length, 1, 'the server has one child process')
  const pid = children[0] ?? 0
  t.teardown(() => {
    // Should the server leave it behind, it must not outlive the test either.
    try {
      if (!isGone(pid) && commandLine(pid).includes('hash-worker')) process.kill(pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  })
  t.match(commandLine(pid), /dist\/src\/accounts\/hash-worker\.js( |$)/, 'the built hash worker')
  t.same([...new Set(threadNices(pid).values())], [HASH_WORKER_NICE], `all its threads at nice ${HASH_WORKER_NICE}`)

  server.child.kill('SIGTERM')
  t.equal((await server.exit).code, 0, 'SIGTERM: exit code 0')
  t.ok(await waitUntilGone(pid), 'and the hashing child is gone too')
})

t.test('a first start that cannot listen still shows the demo password it created', async (t) => {
  const dirs = tempDirs(t)
  const busy = net.createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { busy.close() })
  const port = String((busy.address() as net.AddressInfo).port)

  const failed = await runNode(SERVER, [], { ...dirs.env, PORT: port })
  t.equal(failed.code, 1, 'the port is taken: exit code 1')
  t.match(failed.stdout, /EADDRINUSE/)
  const password = [...failed.stdout.matchAll(DEMO_PASSWORD_LINE)].map((m) => m[1])[0]
  t.ok(password !== undefined, 'the demo password was shown although the start failed')

  const server = await startServerProcess(dirs.env)
  t.teardown(() => { server.child.kill('SIGKILL') })
  t.notMatch(server.stdout(), DEMO_PASSWORD_LINE, 'the next start prints no password: it is shown once')
  const origin = `https://127.0.0.1:${server.port}`
  t.equal((await postLogin({ url: origin, origin } as TestServer, 'demo', password ?? '')).status, 303, 'and the shown password logs in')
  server.child.kill('SIGTERM')
  t.equal((await server.exit).code, 0)
})

t.test('the server warns when the users file or its folder can be read or written by others', async (t) => {
  const dirs = tempDirs(t)
  fs.mkdirSync(dirs.dataDir, { recursive: true, mode: 0o777 })
  fs.chmodSync(dirs.dataDir, 0o777)
  const file = path.join(dirs.dataDir, 'users.json')
  const { FileUsersStore } = await import('../src/accounts/file-users-store.js')
  await FileUsersStore.create(file, [])
  fs.chmodSync(file, 0o644)
  const server = await startServerProcess(dirs.env, t)
  const warnings = server.stdout().split('\n').filter((line) => line.includes('"event":"users_file_exposed"'))
  t.equal(warnings.length, 2, 'two warnings')
  t.match(warnings[0], /users\.json can be read or written by others \(mode 644; use 600\)/)
  t.match(warnings[1], /can be written by others \(mode 777\)/)
  t.match(warnings[0], /"level":40/)
  server.child.kill('SIGTERM')
  await server.exit
})
