// The real process (dist/src/server.js): a bad configuration exits 1 naming the variable and
// writes nothing; a missing users file outside the development defaults is such a configuration;
// a first start creates an owner-only users file and development key, shows the demo password
// once (on the terminal, or in an owner-only file: never in the log stream), and it logs in;
// SIGTERM closes it with exit code 0, and its password hashing child process (at HASH_WORKER_NICE) with it.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { DEMO_PASSWORD_FILE } from '../src/accounts/first-start.js'
import { FileUsersStore } from '../src/accounts/file-users-store.js'
import { HASH_WORKER_NICE } from '../src/accounts/hashing-process.js'
import { childEnv, postLogin, remoteServer, ROOT, runNode, type ProcessResult } from './helpers/http.js'
import { childPids, commandLine, isGone, threadNices, waitUntilGone } from './helpers/processes.js'
import { demoPasswordIn, SERVER, startServerProcess } from './helpers/server-process.js'
import { testCredentials } from './helpers/test-server.js'

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
  t.notOk(fs.existsSync(path.join(dataDir, DEMO_PASSWORD_FILE)), `${what}: no demo password written`)
}

/** Files the bad starts below name: a metrics token too short (16 characters are asked), an empty users file. */
const FIXTURES = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-socket-fixtures-'))
t.teardown(() => fs.rmSync(FIXTURES, { recursive: true, force: true }))
const SHORT_TOKEN = path.join(FIXTURES, 'token')
fs.writeFileSync(SHORT_TOKEN, 'too short\n', { mode: 0o600 })
const EMPTY_USERS = path.join(FIXTURES, 'users.json')
await FileUsersStore.create(EMPTY_USERS, [])

const badStarts: Array<{ env: Record<string, string>, variable: string }> = [
  { env: { PORT: 'abc' }, variable: 'PORT' },
  { env: { HOST: '0.0.0.0', USERS_FILE: EMPTY_USERS }, variable: 'HOST' },
  {
    env: { TLS_CERT: '/nonexistent/cert.pem', TLS_KEY: '/nonexistent/key.pem', USERS_FILE: EMPTY_USERS },
    variable: 'TLS_CERT'
  },
  { env: { METRICS_PORT: '0', METRICS_TOKEN_FILE: '/nonexistent/metrics-token' }, variable: 'METRICS_TOKEN_FILE' },
  { env: { METRICS_PORT: '0', METRICS_TOKEN_FILE: SHORT_TOKEN }, variable: 'METRICS_TOKEN_FILE' },
  { env: { METRICS_PORT: '0', METRICS_HOST: '0.0.0.0' }, variable: 'METRICS_HOST' },
  { env: { REDIS_URL: 'redis://hero-socket:s3cret-in-url@127.0.0.1:6379' }, variable: 'REDIS_URL' },
  { env: { REDIS_URL: 'redis://redis.internal:6379' }, variable: 'REDIS_PASSWORD_FILE' },
  {
    env: {
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_USERNAME: 'hero-socket',
      REDIS_PASSWORD_FILE: '/nonexistent/redis-password',
      USERS_FILE: EMPTY_USERS
    },
    variable: 'REDIS_PASSWORD_FILE'
  },
  { env: { TLS_GROUPS: 'X25519:no-such-group' }, variable: 'TLS_GROUPS' }
]

/**
 * Runs the server once per environment, three at a time (start-up is most of the cost, and a busy
 * machine must not push a run past its bound), each to its exit within 60 s.
 */
async function runEach (envs: ReadonlyArray<Record<string, string>>): Promise<ProcessResult[]> {
  const results: ProcessResult[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < envs.length; i = next++) results[i] = await runNode(SERVER, [], envs[i] ?? {}, '', 60_000)
  }
  await Promise.all([worker(), worker(), worker()])
  return results
}

t.test('a bad configuration exits 1 naming the variable and writes nothing', async (t) => {
  const runs = badStarts.map(({ env }) => ({ dirs: tempDirs(t), env }))
  const results = await runEach(runs.map(({ dirs, env }) => ({ ...dirs.env, ...env })))
  badStarts.forEach(({ env, variable }, i) => {
    const name = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')
    const result = results[i]
    const dirs = runs[i]?.dirs
    t.equal(result?.code, 1, `${name}: exit code 1`)
    t.match(
      result?.stderr,
      new RegExp(`^hero-socket: Invalid configuration: ${variable}\\b`, 'm'),
      `${name}: stderr names ${variable}`
    )
    t.notMatch(result?.stderr, /\n\s+at /, `${name}: a message, not a stack trace`)
    t.notMatch(result?.stdout, /password/, `${name}: no demo password mentioned`)
    t.notMatch(`${result?.stdout ?? ''}${result?.stderr ?? ''}`, 's3cret', `${name}: no secret shown`)
    t.notMatch(result?.stdout, /Server listening/, `${name}: never listened`)
    if (dirs !== undefined) assertNothingWritten(t, dirs.dataDir, dirs.certsDir, name)
  })
})

t.test('a first start writes the demo password to an owner-only file, never to the logs, and it logs in', async (t) => {
  const dirs = tempDirs(t)
  const server = await startServerProcess(dirs.env)
  t.teardown(() => { server.child.kill('SIGKILL') })

  const passwordFile = path.join(dirs.dataDir, DEMO_PASSWORD_FILE)
  t.equal(
    fs.statSync(passwordFile).mode & 0o777,
    0o600,
    'no terminal (stderr is a pipe): the password is in a 0600 file'
  )
  const password = demoPasswordIn(dirs.dataDir)
  t.match(password, /^[A-Za-z0-9_-]{24}$/, '24 base64url characters: 144 random bits')
  t.notOk(server.stdout().includes(password), 'the password is not in the log stream (stdout)')
  t.notOk(server.stderr().includes(password), 'nor on stderr, which is collected like stdout when it is no terminal')
  t.notMatch(server.stdout(), DEMO_PASSWORD_LINE)
  t.ok(server.stdout().includes(passwordFile), 'the log says where the password is')
  t.match(server.stdout(), /user "demo"/)

  const usersFile = path.join(dirs.dataDir, 'users.json')
  t.equal(fs.statSync(usersFile).mode & 0o777, 0o600, 'users file is 0600')
  t.notOk(fs.readFileSync(usersFile, 'utf8').includes(password), 'the file holds a hash, not the password')
  t.equal(fs.statSync(path.join(dirs.certsDir, 'dev-key.pem')).mode & 0o777, 0o600, 'development key is 0600')
  t.ok(fs.existsSync(path.join(dirs.certsDir, 'dev-cert.pem')))

  const origin = `https://127.0.0.1:${server.port}`
  // The certificate this first start made for itself is what the client trusts.
  const target = remoteServer(origin, fs.readFileSync(path.join(dirs.certsDir, 'dev-cert.pem'), 'utf8'))
  const wrong = await postLogin(target, 'demo', password + 'x')
  t.equal(wrong.status, 401)
  const login = await postLogin(target, 'demo', password)
  t.equal(login.status, 303, 'the written password logs in')
  t.match(login.headers.get('set-cookie'), /^__Host-sid=[A-Za-z0-9_-]{43};/)

  server.child.kill('SIGTERM')
  const { code, signal } = await server.exit
  t.equal(code, 0, 'SIGTERM: exit code 0')
  t.equal(signal, null)
})

/** Production-looking set-ups, each alone, with no users file: none may get a demo account. */
const deploymentStarts: Array<{ name: string, env: (dir: string) => Record<string, string> }> = [
  { name: 'REDIS_URL', env: () => ({ REDIS_URL: 'redis://127.0.0.1:6379' }) },
  { name: 'TLS=off', env: () => ({ TLS: 'off' }) },
  { name: 'TRUSTED_PROXIES', env: () => ({ TRUSTED_PROXIES: '127.0.0.1' }) },
  {
    name: 'a non-loopback HOST',
    env: (dir) => ({ HOST: '0.0.0.0', TLS_CERT: path.join(dir, 'cert.pem'), TLS_KEY: path.join(dir, 'key.pem') })
  },
  { name: 'an explicit USERS_FILE', env: (dir) => ({ USERS_FILE: path.join(dir, 'accounts', 'users.json') }) },
  {
    name: 'a certificate of its own, on loopback',
    env: (dir) => ({ TLS_CERT: path.join(dir, 'cert.pem'), TLS_KEY: path.join(dir, 'key.pem') })
  },
  { name: 'a public origin', env: () => ({ ALLOWED_ORIGINS: 'https://heroes.example.com' }) }
]

t.test('outside the development defaults a missing users file stops start-up, naming USERS_FILE', async (t) => {
  const { cert, key } = await testCredentials()
  const base = t.testdir({})
  const runs = deploymentStarts.map(({ env }) => {
    const dir = fs.mkdtempSync(path.join(base, 'run-'))
    const dirs = { dataDir: path.join(dir, 'data'), certsDir: path.join(dir, 'certs') }
    fs.writeFileSync(path.join(dir, 'cert.pem'), cert)
    fs.writeFileSync(path.join(dir, 'key.pem'), key, { mode: 0o600 })
    return { dirs, dir, env: env(dir) }
  })
  const results = await runEach(runs.map(({ dirs, env }) => ({
    DATA_DIR: dirs.dataDir,
    CERTS_DIR: dirs.certsDir,
    PORT: '0',
    ...env
  })))
  deploymentStarts.forEach(({ name }, i) => {
    const result = results[i]
    const run = runs[i]
    t.equal(result?.code, 1, `${name}: exit code 1`)
    t.match(
      result?.stderr,
      new RegExp('^hero-socket: Invalid configuration: USERS_FILE names no file \\(.*users\\.json\\)\\. ' +
        'A demo account is made only with the development defaults', 'm'),
      `${name}: stderr names USERS_FILE`
    )
    t.notMatch(result?.stdout, /Server listening|demo/, `${name}: never listened, no demo account`)
    if (run === undefined) return
    assertNothingWritten(t, run.dirs.dataDir, run.dirs.certsDir, name)
    t.notOk(fs.existsSync(path.join(run.dir, 'accounts')), `${name}: nothing written where USERS_FILE points`)
  })
})

/** A port something else listens on, for the test's duration. */
async function takenPort (t: Test): Promise<number> {
  const busy = net.createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { busy.close() })
  return (busy.address() as net.AddressInfo).port
}

t.test('a port already in use stops start-up with one sentence naming PORT or METRICS_PORT, exit 1', async (t) => {
  const port = await takenPort(t)
  const [taken, metricsTaken] = await runEach([
    { ...tempDirs(t).env, PORT: String(port) },
    { ...tempDirs(t).env, METRICS_PORT: String(port) }
  ])
  t.equal(taken?.code, 1, 'PORT taken: exit code 1')
  t.equal(
    taken?.stderr,
    `hero-socket: PORT ${port} is already in use on 127.0.0.1: stop the other server or set PORT to a free port.\n`
  )
  t.equal(metricsTaken?.code, 1, 'METRICS_PORT taken: exit code 1')
  t.equal(
    metricsTaken?.stderr,
    `hero-socket: METRICS_PORT ${port} is already in use on 127.0.0.1: stop the other server or set METRICS_PORT ` +
      'to a free port.\n'
  )
  for (const result of [taken, metricsTaken]) {
    t.notMatch(result?.stdout, /uncaught|EADDRINUSE|"level":[56]0/, 'no stack trace, no error line in the log')
  }
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

/** Runs the server with stderr on a terminal (util-linux `script`) and stdout to `stdoutFile`, to its exit. */
async function runOnTerminal (env: Record<string, string>, stdoutFile: string): Promise<{
  code: number | null,
  terminal: string,
  stdout: string
}> {
  const command = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(SERVER)} > ${JSON.stringify(stdoutFile)}`
  const child = spawn(
    'script',
    ['--quiet', '--return', '--command', command, '/dev/null'],
    { cwd: ROOT, env: childEnv(env), stdio: ['pipe', 'pipe', 'inherit'] }
  )
  child.stdin.end()
  let terminal = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { terminal += s })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, terminal, stdout: fs.readFileSync(stdoutFile, 'utf8') }
}

t.test('on a terminal a first start shows the demo password there only, even when it cannot listen', async (t) => {
  const dirs = tempDirs(t)
  const port = String(await takenPort(t))

  const failed = await runOnTerminal({ ...dirs.env, PORT: port }, path.join(path.dirname(dirs.dataDir), 'stdout.log'))
  t.equal(failed.code, 1, 'the port is taken: exit code 1')
  t.match(failed.terminal, `hero-socket: PORT ${port} is already in use on 127.0.0.1: stop the other server or set ` +
    'PORT to a free port.')
  const password = [...failed.terminal.replaceAll('\r', '').matchAll(DEMO_PASSWORD_LINE)].map((m) => m[1])[0] ?? ''
  t.match(password, /^[A-Za-z0-9_-]{24}$/, 'the demo password was shown on the terminal although the start failed')
  t.notOk(failed.stdout.includes(password), 'and not in the log stream')
  t.notOk(fs.existsSync(path.join(dirs.dataDir, DEMO_PASSWORD_FILE)), 'no password file: the terminal showed it')

  const server = await startServerProcess(dirs.env)
  t.teardown(() => { server.child.kill('SIGKILL') })
  t.notMatch(server.stdout(), /demo/, 'the next start shows no password: it is shown once')
  t.equal(demoPasswordIn(dirs.dataDir), '')
  const origin = `https://127.0.0.1:${server.port}`
  t.equal(
    (await postLogin(
      remoteServer(origin, fs.readFileSync(path.join(dirs.certsDir, 'dev-cert.pem'), 'utf8')),
      'demo',
      password
    )).status,
    303,
    'and the shown password logs in'
  )
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
