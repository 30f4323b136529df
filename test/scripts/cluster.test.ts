// npm run cluster for real (dist/scripts/cluster.js, which starts Debian's nginx and redis-server
// and two instances): its URL and password printed, a login over HTTPS through nginx with that
// password, a real WebSocket asking for a hero, the same in Chromium; then Ctrl-C (SIGINT to the
// process group, as a terminal sends it): exit 0 within a bound, every process it started gone,
// its temp folder removed; SIGTERM mid-start likewise. And its failures, each in one sentence: a
// program that dies, nginx's port taken, a CLUSTER_PORT that is no port.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import t from 'tap'
import WebSocket from 'ws'
import { PortInUseError, startOnFreePort } from '../../bench/free-port.js'
import { launchBrowser, loginThroughForm, newWatchedContext } from '../helpers/browser.js'
import { builtFile, childEnv, postLogin, remoteServer, ROOT, runNode, sessionIdOf } from '../helpers/http.js'
import { childPids, commandLine, waitUntilGone } from '../helpers/processes.js'
import { TEST_CA } from '../helpers/test-ca.js'
import type { Teardown } from '../helpers/test-server.js'

const CLUSTER = builtFile('dist/scripts/cluster.js')
/** Longest a start may take on a busy 2-core machine (two argon2 hashes, two instances, nginx). */
const START_TIMEOUT_MS = 60_000
/** Longest a stop may take: the instances' drain (at most SHUTDOWN_TIMEOUT_MS, 10 s) and the rest. */
const STOP_TIMEOUT_MS = 20_000

/** The certificate nginx serves: the one the tests' CA signed for localhost, which fetch() and ws trust. */
const CERTIFICATE = { TLS_CERT: TEST_CA.certFile, TLS_KEY: TEST_CA.keyFile }

/** A running cluster and what it printed. */
interface RunningCluster {
  readonly child: ChildProcessWithoutNullStreams
  readonly url: string
  readonly username: string
  readonly password: string
  readonly dir: string
  stderr (): string
  readonly exit: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/** The value printed after `label:` in the cluster's welcome. */
function printed (stdout: string, label: string): string {
  const value = new RegExp(`^  ${label}: +(\\S+)`, 'm').exec(stdout)?.[1]
  if (value === undefined) throw new Error(`no ${label} line in: ${stdout}`)
  return value
}

/** npm run cluster just spawned: its process, what it printed so far, its exit. */
interface SpawnedCluster {
  readonly child: ChildProcessWithoutNullStreams
  stdout (): string
  stderr (): string
  readonly exit: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/** Spawns npm run cluster with nginx on `port` and the tests' certificate; killed at teardown. */
function spawnCluster (t: Teardown, port: number): SpawnedCluster {
  // As a person runs it: npm run cluster, in a process group of its own as on a terminal, so that
  // Ctrl-C can be sent the way a terminal sends it (SIGINT to the whole group: npm and the script).
  const child = spawn('npm', ['run', 'cluster'], {
    cwd: ROOT,
    env: childEnv({ CLUSTER_PORT: String(port), ...CERTIFICATE }),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) ctrlC(child, 'SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const exit = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  return { child, stdout: () => stdout, stderr: () => stderr, exit }
}

/**
 * Waits until `ready` holds for the spawned cluster (bounded).
 * @throws PortInUseError when it exits saying nginx's port is taken (startOnFreePort tries another)
 */
async function waitForCluster (cluster: SpawnedCluster, port: number, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!ready()) {
    if (cluster.child.exitCode !== null) {
      const said = cluster.stderr()
      throw /is already in use/.test(said) ? new PortInUseError(port, said) : new Error(`exited: ${said}`)
    }
    if (Date.now() > deadline) throw new Error(`not ready within ${START_TIMEOUT_MS} ms: ${cluster.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Starts npm run cluster with nginx on `port`; resolves once it printed its welcome. */
async function startCluster (t: Teardown, port: number): Promise<RunningCluster> {
  const cluster = spawnCluster(t, port)
  await waitForCluster(cluster, port, () => cluster.stdout().includes('Ctrl-C stops everything'))
  const stdout = cluster.stdout()
  return {
    child: cluster.child,
    url: printed(stdout, 'open'),
    username: printed(stdout, 'username'),
    password: printed(stdout, 'password'),
    dir: printed(stdout, 'files'),
    stderr: cluster.stderr,
    exit: cluster.exit
  }
}

/** What a terminal does on Ctrl-C: `signal` to every process of the cluster's process group. */
function ctrlC (child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals = 'SIGINT'): void {
  process.kill(-(child.pid ?? 0), signal)
}

/** Every process below `pid` (children, their children...). */
function descendants (pid: number): number[] {
  const children = childPids(pid)
  return [...children, ...children.flatMap(descendants)]
}

/** Opens the socket with session `sid`, asks for `hero`, and resolves with the answer. */
async function askThroughSocket (url: string, sid: string, hero: string): Promise<unknown> {
  const ws = new WebSocket(`${url.replace(/^https/, 'wss')}/ws`, {
    origin: url,
    headers: { cookie: `__Host-sid=${sid}` }
  })
  try {
    const messages: unknown[] = []
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        messages.push(JSON.parse(data.toString()))
        if (messages.length === 1) ws.send(JSON.stringify({ type: 'get_name', id: 1, hero }))
        if (messages.length === 2) resolve()
      })
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)))
      ws.once('error', reject)
      ws.once('close', (code) => reject(new Error(`closed with ${code}`)))
    })
    return messages
  } finally {
    ws.terminate()
  }
}

t.test('npm run cluster: log in through nginx, a hero over the socket, Ctrl-C stops everything', async (t) => {
  const cluster = await startOnFreePort(async (port) => await startCluster(t, port))
  t.match(cluster.url, /^https:\/\/localhost:\d+$/, 'it prints the URL to open')
  t.equal(cluster.username, 'hero', 'and the account the users CLI made')
  t.ok(fs.existsSync(cluster.dir), 'in a temp folder of its own')
  const pid = cluster.child.pid ?? 0
  const started = descendants(pid)
  const names = started.map((p) => commandLine(p))
  t.equal(names.filter((name) => name.startsWith('redis-server')).length, 1, 'one redis-server')
  t.equal(names.filter((name) => name.endsWith('dist/src/server.js')).length, 2, 'two instances')
  t.ok(names.some((name) => name.startsWith('nginx: master process')), 'nginx')

  const server = remoteServer(cluster.url)
  const wrong = await postLogin(server, cluster.username, `${cluster.password}x`)
  t.equal(wrong.status, 401, 'a wrong password is refused through nginx')
  const login = await postLogin(server, cluster.username, cluster.password)
  t.equal(login.status, 303, 'the printed password logs in over HTTPS through nginx')
  const sid = sessionIdOf(login)
  if (sid === undefined) throw new Error('no session cookie')
  t.match(await askThroughSocket(cluster.url, sid, 'ironMan'), [
    { type: 'user_authorized', user: { username: 'hero' } },
    { type: 'name', id: 1, hero: 'ironMan', hero_name: 'Tony Stark' }
  ], 'the socket through nginx answers a hero')

  // The URL as a person opens it: Chromium logs in through the form and asks for a hero.
  const browser = await launchBrowser(t)
  const { context, problems } = await newWatchedContext(browser)
  const page = await context.newPage()
  await loginThroughForm(page, cluster.url, cluster.username, cluster.password)
  await page.locator('#status[data-state="connected"]').waitFor()
  await page.click('#heroes button[data-hero="hulk"]')
  const answer = page.locator('#answers li[data-hero="hulk"][data-state="done"] .answer-name').last()
  t.equal(await answer.textContent(), 'Bruce Banner', 'in Chromium too: login, socket, a hero')
  t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] }, 'with no page problem')
  await context.close()

  const { users } = JSON.parse(fs.readFileSync(path.join(cluster.dir, 'users.json'), 'utf8')) as {
    users: Array<{ username: string }>
  }
  t.same(users.map(({ username }) => username), ['hero'], 'its one account: no demo account outside development')

  const stopping = Date.now()
  ctrlC(cluster.child)
  const ended = await Promise.race([
    cluster.exit,
    new Promise((resolve) => setTimeout(() => resolve('still running'), STOP_TIMEOUT_MS))
  ])
  t.same(ended, { code: 0, signal: null }, `Ctrl-C: npm run cluster exits 0 (in ${Date.now() - stopping} ms)`)
  const left = []
  for (const p of started) if (!await waitUntilGone(p, 2000)) left.push(`${p} ${commandLine(p)}`)
  t.same(left, [], `all ${started.length} processes it started are gone`)
  t.notOk(fs.existsSync(cluster.dir), 'its temp folder is removed')
  t.equal(cluster.stderr(), 'Stopping the cluster…\n', 'and it says nothing else')
})

t.test('a program of the cluster that dies stops the rest, said in one sentence', async (t) => {
  const cluster = await startOnFreePort(async (port) => await startCluster(t, port))
  const started = descendants(cluster.child.pid ?? 0)
  const redis = started.find((p) => commandLine(p).startsWith('redis-server'))
  if (redis === undefined) throw new Error('no redis-server')
  process.kill(redis, 'SIGKILL')
  const ended = await Promise.race([
    cluster.exit,
    new Promise((resolve) => setTimeout(() => resolve('still running'), STOP_TIMEOUT_MS))
  ])
  t.same(ended, { code: 1, signal: null }, 'exit 1')
  t.equal(
    cluster.stderr().split('\n')[0],
    'npm run cluster: redis-server exited unexpectedly (signal SIGKILL), so the cluster stopped the rest.',
    'it says which program died'
  )
  const left = []
  for (const p of started) if (!await waitUntilGone(p, 2000)) left.push(`${p} ${commandLine(p)}`)
  t.same(left, [], 'everything else is stopped')
  t.notOk(fs.existsSync(cluster.dir), 'its temp folder is removed')
})

t.test('SIGTERM while the cluster starts stops what started, exit 0', async (t) => {
  let cluster: SpawnedCluster | undefined
  const instance = (): number | undefined => descendants(cluster?.child.pid ?? 0).find(
    (p) => commandLine(p).endsWith('dist/src/server.js')
  )
  await startOnFreePort(async (port) => {
    cluster = spawnCluster(t, port)
    await waitForCluster(cluster, port, () => instance() !== undefined)
  })
  if (cluster === undefined) throw new Error('no cluster')
  const started = descendants(cluster.child.pid ?? 0)
  const redis = started.map(commandLine).find((line) => line.startsWith('redis-server'))
  const dir = path.dirname(/unixsocket:(\S+)/.exec(redis ?? '')?.[1] ?? '')
  t.match(dir, /hero-cluster-/, `redis-server is up in the cluster's folder (${dir})`)
  cluster.child.kill('SIGTERM') // to npm alone, as a service manager or kill would: npm passes it on
  const ended = await Promise.race([
    cluster.exit,
    new Promise((resolve) => setTimeout(() => resolve('still running'), STOP_TIMEOUT_MS))
  ])
  t.same(ended, { code: 0, signal: null }, 'exit 0')
  t.notMatch(cluster.stdout(), /open:/, 'no URL printed: it never got there')
  const left = []
  for (const p of started) if (!await waitUntilGone(p, 2000)) left.push(`${p} ${commandLine(p)}`)
  t.same(left, [], `all ${started.length} processes it had started are gone`)
  t.notOk(fs.existsSync(dir), 'its temp folder is removed')
})

t.test('nginx\'s port taken, or CLUSTER_PORT no port: one sentence, nothing started', async (t) => {
  const holder = net.createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { holder.close() })
  const { port } = holder.address() as net.AddressInfo
  const taken = await runNode(CLUSTER, [], { CLUSTER_PORT: String(port), ...CERTIFICATE })
  t.equal(taken.code, 1, 'a port in use: exit 1')
  t.equal(taken.stderr, `npm run cluster: port ${port} is already in use (another npm start or npm run cluster?): ` +
    'stop what holds it, or set CLUSTER_PORT to a free port.\n', 'the sentence names the port and what to do')
  t.equal(taken.stdout, '', 'no URL printed')
  const notAPort = await runNode(CLUSTER, [], { CLUSTER_PORT: '84430', ...CERTIFICATE })
  t.equal(notAPort.code, 1, 'a CLUSTER_PORT that is no port: exit 1')
  t.equal(
    notAPort.stderr,
    'npm run cluster: CLUSTER_PORT is "84430": set it to a port number from 1 to 65535.\n',
    'the sentence names the variable'
  )
})
