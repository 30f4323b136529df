// Ctrl-C on a terminal: SIGINT to the whole process group (the server and its hashing child), as a
// shell sends it. With nothing open and no one asking /readyz the server stops at once, exit 0,
// without an error line and without replacing the hashing child; when readiness was watched the
// drain keeps its delay (/readyz 503 meanwhile, logins still answered: the child ignored the
// SIGINT); a second Ctrl-C stops at once; and the hashing child never outlives a killed server.
import path from 'node:path'
import t, { type Test } from 'tap'
import { WATCHED_DRAIN_DELAY_MS } from '../../src/operations/drain.js'
import { postLogin, remoteServer } from '../helpers/http.js'
import { childPids, isGone, waitUntilGone } from '../helpers/processes.js'
import {
  demoPasswordIn, startServerProcess, useTestCertificate, type ServerProcess
} from '../helpers/server-process.js'

const SHUTDOWN_TIMEOUT_MS = 30_000

/** A server with the development defaults in a process group of its own, and its hashing child's pid. */
async function startOnTerminal (t: Test, env: Record<string, string> = {}): Promise<{
  server: ServerProcess
  worker: number
  dataDir: string
}> {
  const dir = t.testdir({})
  const dataDir = path.join(dir, 'data')
  const server = await startServerProcess({
    PORT: '0',
    DATA_DIR: dataDir,
    CERTS_DIR: useTestCertificate(path.join(dir, 'certs')),
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    ...env
  }, t, 20_000, [], true)
  const worker = childPids(server.child.pid ?? 0)[0] ?? 0
  t.teardown(() => { if (worker !== 0 && !isGone(worker)) process.kill(worker, 'SIGKILL') })
  return { server, worker, dataDir }
}

/** Ctrl-C: SIGINT to the server's process group. */
function ctrlC (server: ServerProcess): void {
  process.kill(-(server.child.pid ?? 0), 'SIGINT')
}

/** The JSON log lines the server wrote. */
function logLines (server: ServerProcess): Array<Record<string, unknown>> {
  return server.stdout().split('\n').filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** A stop is quiet: no line at error level or above, no hashing child replaced, nothing on stderr. */
function assertQuiet (t: Test, server: ServerProcess): void {
  const lines = logLines(server)
  t.same(lines.filter((line) => Number(line.level) >= 50), [], 'no line at error level or above')
  t.same(lines.filter((line) => line.event === 'hashing_process_exited'), [], 'no hashing_process_exited')
  t.equal(server.stderr(), '', 'nothing on stderr')
}

t.test('Ctrl-C with nothing open and no one watching readiness: exit 0 at once, quietly', async (t) => {
  const { server, worker } = await startOnTerminal(t)
  t.ok(worker > 0, 'the server has its hashing child')
  const start = performance.now()
  ctrlC(server)
  const { code, signal } = await server.exit
  const tookMs = Math.round(performance.now() - start)
  t.equal(code, 0, 'exit code 0')
  t.equal(signal, null)
  // Before, every stop waited DRAIN_DELAY_MS (3000 ms); WATCHED_DRAIN_DELAY_MS is what a watched one waits.
  t.ok(tookMs < WATCHED_DRAIN_DELAY_MS / 2, `stopped ${tookMs} ms after Ctrl-C, without the drain delay`)
  t.match(
    logLines(server).find((line) => line.event === 'drain_started'),
    { delayMs: 0, because: 'readiness not watched' },
    'the drain says why it did not wait'
  )
  assertQuiet(t, server)
  t.ok(await waitUntilGone(worker), 'and the hashing child is gone with it')
})

t.test('Ctrl-C when /readyz was asked: the drain waits, /readyz says 503, logins still work', async (t) => {
  const { server, worker, dataDir } = await startOnTerminal(t)
  t.equal((await fetch(`${server.url}/readyz`)).status, 200, 'a load balancer asks /readyz')
  const start = performance.now()
  ctrlC(server)
  let draining = 0
  while (draining !== 503 && performance.now() - start < 1000) draining = (await fetch(`${server.url}/readyz`)).status
  t.equal(draining, 503, `/readyz says 503 ${Math.round(performance.now() - start)} ms after Ctrl-C`)
  const login = await postLogin(remoteServer(server.url), 'demo', demoPasswordIn(dataDir))
  t.equal(login.status, 303, 'a login during the delay is answered: the hashing child ignored the SIGINT')
  t.equal(childPids(server.child.pid ?? 0)[0], worker, 'the same hashing child, not a new one')
  const { code } = await server.exit
  const tookMs = Math.round(performance.now() - start)
  t.equal(code, 0, 'exit code 0')
  t.ok(tookMs >= WATCHED_DRAIN_DELAY_MS - 100, `stopped ${tookMs} ms after Ctrl-C: after the drain delay`)
  t.ok(tookMs < SHUTDOWN_TIMEOUT_MS, 'and well within SHUTDOWN_TIMEOUT_MS')
  t.match(
    logLines(server).find((line) => line.event === 'drain_started'),
    { delayMs: WATCHED_DRAIN_DELAY_MS, because: 'readiness watched' }
  )
  assertQuiet(t, server)
  t.ok(await waitUntilGone(worker), 'and the hashing child is gone with it')
})

t.test('a second Ctrl-C during the drain delay stops at once', async (t) => {
  const { server, worker } = await startOnTerminal(t, { DRAIN_DELAY_MS: '20000' })
  ctrlC(server)
  const first = performance.now()
  while (!server.stdout().includes('"event":"drain_started"') && performance.now() - first < 5000) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.match(server.stdout(), /"event":"drain_started","delayMs":20000,"because":"DRAIN_DELAY_MS"/,
    'DRAIN_DELAY_MS set: the drain waits whoever watches')
  const second = performance.now()
  ctrlC(server)
  const { code } = await server.exit
  const tookMs = Math.round(performance.now() - second)
  t.ok(tookMs < 2000, `stopped ${tookMs} ms after the second Ctrl-C`)
  t.equal(code, 1, 'exit code 1: the drain did not finish')
  t.match(server.stdout(), /"level":40,.*"signal":"SIGINT","msg":"second signal: stopping at once"/)
  t.ok(await waitUntilGone(worker), 'and the hashing child is gone with it')
})

t.test('the hashing child does not outlive a server killed with SIGKILL', async (t) => {
  const { server, worker } = await startOnTerminal(t)
  t.ok(worker > 0 && !isGone(worker), 'the hashing child runs')
  server.child.kill('SIGKILL')
  t.equal((await server.exit).signal, 'SIGKILL')
  t.ok(await waitUntilGone(worker, 5000), 'the hashing child exits when its parent is gone')
})
