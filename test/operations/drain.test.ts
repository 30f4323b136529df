// The drain on SIGTERM, with the real process and 300 open sockets: /readyz turns 503 at once
// (on both listeners) while new sockets are still accepted; after DRAIN_DELAY_MS new upgrades get
// 503; the open sockets all get 1001, in batches spread over the window rather than at once; and
// the process exits 0 within SHUTDOWN_TIMEOUT_MS. And when the delay is waited at all.
import path from 'node:path'
import t from 'tap'
import WebSocket from 'ws'
import { loadConfig } from '../../src/config/config.js'
import { drainDelay, READINESS_WATCHED_MS, WATCHED_DRAIN_DELAY_MS } from '../../src/operations/drain.js'
import { Readiness } from '../../src/operations/readiness.js'
import {
  changeOneTimePassword, demoPasswordIn, startServerProcess, useTestCertificate
} from '../helpers/server-process.js'
import { testCa } from '../helpers/test-ca.js'

const SOCKETS = 300
const SHUTDOWN_TIMEOUT_MS = 6000
const DRAIN_DELAY_MS = 1500

interface Opened { ws: WebSocket, closed: Promise<{ code: number, at: number }> }

function open (url: string, origin: string, cookie: string, ca: string): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin, headers: { cookie }, ca })
    const closed = new Promise<{ code: number, at: number }>(
      (resolve) => ws.once('close', (code) => resolve({ code, at: Date.now() }))
    )
    ws.once('message', () => resolve({ ws, closed }))
    ws.once(
      'unexpected-response',
      (_req, res) => reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode }))
    )
    ws.once('error', reject)
  })
}

t.test('the delay is waited when a balancer can be there: DRAIN_DELAY_MS set, or /readyz asked lately', async (t) => {
  let now = 1_000_000
  const readiness = new Readiness(undefined, undefined, () => now)
  const unset = loadConfig({}).shutdown
  t.same(drainDelay(unset, readiness), { delayMs: 0, because: 'readiness not watched' }, 'never asked: no delay')
  t.equal(readiness.answer().status, 200)
  now += READINESS_WATCHED_MS
  t.same(
    drainDelay(unset, readiness),
    { delayMs: WATCHED_DRAIN_DELAY_MS, because: 'readiness watched' },
    'asked READINESS_WATCHED_MS ago: the delay'
  )
  t.same(
    drainDelay(loadConfig({ SHUTDOWN_TIMEOUT_MS: '1000' }).shutdown, readiness),
    { delayMs: 500, because: 'readiness watched' },
    'at most half of SHUTDOWN_TIMEOUT_MS'
  )
  now += 1
  t.same(drainDelay(unset, readiness), { delayMs: 0, because: 'readiness not watched' }, 'asked longer ago: none')
  t.same(drainDelay(loadConfig({ DRAIN_DELAY_MS: '1500' }).shutdown, readiness), {
    delayMs: 1500, because: 'DRAIN_DELAY_MS'
  }, 'set: waited whoever watches')
  readiness.answer()
  t.same(drainDelay(loadConfig({ DRAIN_DELAY_MS: '0' }).shutdown, readiness), {
    delayMs: 0, because: 'DRAIN_DELAY_MS'
  }, 'set to 0: never waited')
})

t.test('SIGTERM drains: readiness first, then 503 to new sockets, then 1001 spread out, exit on time', async (t) => {
  const dir = t.testdir({})
  const server = await startServerProcess({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: path.join(dir, 'data'),
    CERTS_DIR: useTestCertificate(path.join(dir, 'certs')),
    LOG_LEVEL: 'info',
    METRICS_PORT: '0',
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
    WS_MAX_CONNECTIONS_PER_USER: '1000',
    WS_MAX_CONNECTIONS_PER_IP: '1000',
    WS_HANDSHAKE_RATE: '100000',
    WS_HANDSHAKE_BURST: '100000'
  }, t)
  const metrics = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(server.stdout())?.[1] ?? ''
  const password = demoPasswordIn(path.join(dir, 'data'))
  const login = await fetch(`${server.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'demo', password }).toString()
  })
  // The demo password is one-time: it opens only the change form, which gives the session its sockets.
  const firstCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const cookie = await changeOneTimePassword(server.url, firstCookie, password)
  const { ca } = testCa()
  const wsUrl = `wss://127.0.0.1:${server.port}/ws`
  const sockets: Opened[] = []
  for (let i = 0; i < SOCKETS; i++) sockets.push(await open(wsUrl, server.url, cookie, ca))
  t.teardown(() => { for (const s of sockets) s.ws.terminate() })

  const sigterm = Date.now()
  server.child.kill('SIGTERM')
  let readyAt = 0
  while (readyAt === 0 && Date.now() - sigterm < 2000) {
    const statuses = await Promise.all(
      [fetch(`${server.url}/readyz`), fetch(`${metrics}/readyz`)].map(async (p) => (await p).status)
    )
    if (statuses.every((s) => s === 503)) readyAt = Date.now()
  }
  t.ok(
    readyAt > 0 && readyAt - sigterm < 500,
    `/readyz said 503 on both listeners ${readyAt - sigterm} ms after SIGTERM`
  )
  const late = await open(wsUrl, server.url, cookie, ca).then(
    (s) => { sockets.push(s); return 'accepted' },
    (err: { status?: number }) => `refused ${String(err.status)}`
  )
  t.equal(late, 'accepted', 'during DRAIN_DELAY_MS a new socket is still accepted (the balancer may not know yet)')
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, sigterm + DRAIN_DELAY_MS + 300 - Date.now())))
  const refused = await open(wsUrl, server.url, cookie, ca).then(
    () => 'accepted',
    (err: { status?: number }) => `refused ${String(err.status)}`
  )
  t.equal(refused, 'refused 503', 'after DRAIN_DELAY_MS a new socket gets 503')

  const closes = await Promise.all(sockets.map(async (s) => await s.closed))
  t.same([...new Set(closes.map((c) => c.code))], [1001], `every one of the ${sockets.length} sockets got 1001`)
  const times = closes.map((c) => c.at - sigterm).sort((a, b) => a - b)
  const first = times[0] ?? 0
  const last = times.at(-1) ?? 0
  t.ok(first >= DRAIN_DELAY_MS - 100, `the first close came ${first} ms after SIGTERM, after the delay`)
  const window = (SHUTDOWN_TIMEOUT_MS - DRAIN_DELAY_MS) / 2
  t.ok(last - first >= window * 0.6, `spread over ${last - first} ms (window ${window} ms)`)
  const perTenth = new Map<number, number>()
  for (const at of times) perTenth.set(Math.floor(at / 100), (perTenth.get(Math.floor(at / 100)) ?? 0) + 1)
  const busiest = Math.max(...perTenth.values())
  t.ok(busiest <= Math.ceil(sockets.length / (window / 100)) * 2 + 2, `at most ${busiest} closes in any 100 ms`)
  const { code } = await server.exit
  const exitedAt = Date.now() - sigterm
  t.equal(code, 0, 'exit code 0')
  t.ok(
    exitedAt <= SHUTDOWN_TIMEOUT_MS + 500,
    `exited ${exitedAt} ms after SIGTERM (SHUTDOWN_TIMEOUT_MS ${SHUTDOWN_TIMEOUT_MS})`
  )
  t.match(server.stdout(), /"event":"drain_started"/)
  t.equal(server.stderr().trim(), '', 'nothing on stderr')
})
