// Limits run on the monotonic clock: a real server process (one instance, in-process stores)
// whose wall clock is stepped an hour back and then two hours forward while it serves (a preload,
// test/helpers/wall-clock-preload.mjs, steps Date.now and new Date() on SIGWINCH; the monotonic
// clock runs on, as under a real NTP step). After the step back, clients that keep within their
// budgets (socket messages, handshakes, pages, each from an address of its own) are never refused
// while flooders still meet every limit; after the step forward the flooders get nothing extra,
// and nobody is logged out.
import https from 'node:https'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { FileUsersStore } from '../src/accounts/file-users-store.js'
import { waitUntil } from './helpers/hero-client.js'
import { sessionIdOf } from './helpers/http.js'
import {
  startServerProcess,
  useTestCertificate,
  WALL_CLOCK_PRELOAD,
  type ServerProcess
} from './helpers/server-process.js'
import { testCa } from './helpers/test-ca.js'
import { hashFor, TEST_USER } from './helpers/test-server.js'

const HOUR = 3_600_000
const LIMITS = {
  MESSAGE_RATE: 4,
  MESSAGE_BURST: 10,
  WS_HANDSHAKE_RATE: 2,
  WS_HANDSHAKE_BURST: 5,
  RATE_LIMIT_MAX: 10,
  RATE_LIMIT_WINDOW_S: 4
} as const
/** How much earlier than the test saw it the server may have answered a request (s). */
const DELIVERY_SLACK_S = 0.25

interface Server { readonly process: ServerProcess, readonly ca: string, readonly sid: string }

/** Sends SIGWINCH (the preload's next step) and waits until the process says it stepped. */
async function stepWallClock (server: Server, offsetMs: number): Promise<void> {
  server.process.child.kill('SIGWINCH')
  await waitUntil(
    () => server.process.stderr().includes(`wall clock stepped ${offsetMs}\n`),
    `the wall clock to step to ${offsetMs}`
  )
}

/** GET `route` from the loopback address `from`; the status and Retry-After. */
function get (server: Server, route: string, from: string): Promise<{ status: number, retryAfter: number }> {
  return new Promise((resolve, reject) => {
    https.get({
      host: '127.0.0.1',
      port: server.process.port,
      path: route,
      localAddress: from,
      headers: { cookie: `__Host-sid=${server.sid}` },
      ca: server.ca,
      agent: false
    }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 0) }))
    }).on('error', reject)
  })
}

/** Opens a socket from `from`: 'open' (its first message came) or the refusal's status. */
async function handshake (server: Server, from: string): Promise<{ result: number | 'open', ws: WebSocket }> {
  const ws = new WebSocket(
    `wss://127.0.0.1:${server.process.port}/ws`,
    { origin: server.process.url, headers: { cookie: `__Host-sid=${server.sid}` }, ca: server.ca, localAddress: from }
  )
  ws.on('error', () => {})
  const result = await new Promise<number | 'open'>((resolve, reject) => {
    ws.once('message', () => resolve('open'))
    ws.once('unexpected-response', (_req, res) => { res.resume(); resolve(res.statusCode ?? 0) })
    ws.once('close', () => reject(new Error('closed before its first message')))
  })
  return { result, ws }
}

/** A socket that counts its replies: answered ('name') and refused (rate_limited), and its closes. */
async function countingSocket (t: Test, server: Server, from: string): Promise<{
  ws: WebSocket,
  answered: () => number,
  refused: () => number,
  closes: number[]
}> {
  const { result, ws } = await handshake(server, from)
  t.teardown(() => ws.terminate())
  if (result !== 'open') throw new Error(`the socket from ${from} was refused with ${result}`)
  let answered = 0
  let refused = 0
  const closes: number[] = []
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type?: string, code?: string }
    if (message.type === 'name') answered++
    else if (message.code === 'rate_limited') refused++
  })
  ws.on('close', (code) => closes.push(code))
  return { ws, answered: () => answered, refused: () => refused, closes }
}

function ask (ws: WebSocket, id: number): void {
  ws.send(JSON.stringify({ type: 'get_name', id, hero: 'hulk' }))
}

async function startServer (t: Test): Promise<Server> {
  const dir = t.testdir({})
  const usersFile = path.join(dir, 'users.json')
  await FileUsersStore.create(usersFile, [{ username: TEST_USER.username, hash: await hashFor(TEST_USER.password) }])
  const process = await startServerProcess({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    DATA_DIR: dir,
    CERTS_DIR: useTestCertificate(dir),
    USERS_FILE: usersFile,
    ...Object.fromEntries(Object.entries(LIMITS).map(([name, value]) => [name, String(value)])),
    MAX_RATE_LIMITED_MESSAGES: '1000',
    WS_MAX_CONNECTIONS_PER_USER: '100',
    WALL_CLOCK_STEPS_MS: `${-HOUR},${2 * HOUR}`
  }, t, 30_000, ['--import', WALL_CLOCK_PRELOAD])
  const res = await fetch(
    `${process.url}/login`,
    {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: process.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(TEST_USER).toString()
    }
  )
  const sid = sessionIdOf(res)
  if (sid === undefined) throw new Error(`login answered ${res.status}`)
  return { process, ca: testCa().ca, sid }
}

t.test('a wall clock stepped back and forward refuses nobody within budget and grants a flooder nothing', async (t) => {
  const server = await startServer(t)
  const polite = await countingSocket(t, server, '127.0.0.2')
  const flooder = await countingSocket(t, server, '127.0.0.5')
  // Every client's bucket and window begins before the step, as a running service's do.
  for (const from of ['127.0.0.3', '127.0.0.7']) (await handshake(server, from)).ws.close()
  for (const from of ['127.0.0.4', '127.0.0.8']) {
    t.equal(
      (await get(server, '/login', from)).status,
      200,
    `a first page from ${from}`
    )
  }

  await stepWallClock(server, -HOUR)
  // Within budget, for longer than one burst or window lasts: messages at 3/s (rate 4, burst 10),
  // handshakes at 1.4/s (rate 2, burst 5), pages at 2.2/s (10 per 4 s window).
  const messages = (async () => {
    for (let id = 1; id <= 14; id++) { ask(polite.ws, id); await sleep(333) }
    await waitUntil(
      () => polite.answered() + polite.refused() === 14 || polite.closes.length > 0,
      'the polite socket\'s replies'
    )
  })()
  const handshakes = (async () => {
    const results = []
    for (let i = 0; i < 8; i++) {
      const { result, ws } = await handshake(server, '127.0.0.3')
      results.push(result)
      ws.close()
      await sleep(700)
    }
    return results
  })()
  const pages = (async () => {
    const statuses = []
    for (let i = 0; i < 14; i++) { statuses.push((await get(server, '/login', '127.0.0.4')).status); await sleep(450) }
    return statuses
  })()
  const [, handshakeResults, pageStatuses] = await Promise.all([messages, handshakes, pages])
  t.same(
    [polite.answered(), polite.refused()],
    [14, 0],
    'an hour back: every one of 14 messages within the rate is answered, none rate_limited'
  )
  t.same(handshakeResults, Array(8).fill('open'), 'every one of 8 handshakes within the rate is accepted')
  t.same(pageStatuses, Array(14).fill(200), 'every one of 14 pages within the limit is served')

  // The flooders meet every limit with the clock an hour back, and are told to wait no longer than a window.
  const flood = await floodAll(t, server, flooder, 1000)
  t.ok(
    flood.refusedPages.every((r) => r.retryAfter >= 1 && r.retryAfter <= LIMITS.RATE_LIMIT_WINDOW_S),
    `Retry-After ${flood.refusedPages.map((r) => r.retryAfter).join(', ')} s: within the ` +
      `${LIMITS.RATE_LIMIT_WINDOW_S} s window, not an hour`
  )

  // Stepped forward two hours (an hour ahead): nothing refills, no window ends early. Each
  // second flood may have only what the time since the first one earned (the server may have
  // refused the first flood's last request up to DELIVERY_SLACK_S before the test saw it).
  await stepWallClock(server, HOUR)
  const again = await floodAll(t, server, flooder, 2000)
  const messagesS = (again.at.messages - flood.at.messages) / 1000
  t.ok(
    again.answeredMessages <= 1 + LIMITS.MESSAGE_RATE * (messagesS + DELIVERY_SLACK_S),
    `after the step forward the flooder's socket got ${again.answeredMessages} answers: what ` +
      `${messagesS.toFixed(2)} s earn, not a new burst of ${LIMITS.MESSAGE_BURST}`
  )
  const handshakesS = (again.at.handshakes - flood.at.handshakes) / 1000
  t.ok(
    again.openedSockets <= 1 + LIMITS.WS_HANDSHAKE_RATE * (handshakesS + DELIVERY_SLACK_S),
    `and ${again.openedSockets} handshakes in what ${handshakesS.toFixed(2)} s earn, not a new burst of ` +
      `${LIMITS.WS_HANDSHAKE_BURST}`
  )
  const windowS = (again.at.pages - flood.at.pagesStarted) / 1000
  if (windowS < LIMITS.RATE_LIMIT_WINDOW_S) {
    t.equal(
      again.servedPages,
      0,
    `and no page: its window, started ${windowS.toFixed(2)} s before, has not ended`
    )
  } else {
    t.comment(`the page window ended before the second flood (${windowS.toFixed(2)} s: a slow machine); its ` +
    'check is left out')
  }

  t.same(polite.closes, [], 'the polite socket is still open')
  ask(polite.ws, 100)
  await waitUntil(
    () => polite.answered() === 15 || polite.closes.length > 0,
    'the polite socket\'s answer after the steps'
  )
  t.equal(polite.answered(), 15, 'and answers')
  t.equal(
    (await get(server, '/', '127.0.0.6')).status,
    200,
    'and the session still opens the hero page: nobody was logged out'
  )
})

/** What one flood got through, and when each kind of it ended (performance.now(), ms). */
interface Flood {
  readonly answeredMessages: number
  readonly openedSockets: number
  readonly servedPages: number
  readonly refusedPages: ReadonlyArray<{ retryAfter: number }>
  readonly at: {
    readonly messages: number,
    readonly handshakes: number,
    readonly pagesStarted: number,
    readonly pages: number
  }
}

/** One flood of each kind from the flooder's addresses; asserts each met its limit. */
async function floodAll (
  t: Test,
  server: Server,
  flooder: Awaited<ReturnType<typeof countingSocket>>,
  firstId: number
): Promise<Flood> {
  const [answeredBefore, refusedBefore] = [flooder.answered(), flooder.refused()]
  for (let id = firstId; id < firstId + 2 * LIMITS.MESSAGE_BURST; id++) ask(flooder.ws, id)
  await waitUntil(
    () => flooder.answered() + flooder.refused() === answeredBefore + refusedBefore + 2 * LIMITS.MESSAGE_BURST ||
      flooder.closes.length > 0,
    'the flood\'s replies'
  )
  t.same(flooder.closes, [], 'the flooder\'s socket is open (its session was not ended by the step)')
  const messagesAt = performance.now()
  const answeredMessages = flooder.answered() - answeredBefore
  t.ok(
    flooder.refused() > refusedBefore,
    `the message flood met rate_limited (${answeredMessages} answered of ${2 * LIMITS.MESSAGE_BURST})`
  )
  const handshakes = await Promise.all(Array.from(
    { length: 2 * LIMITS.WS_HANDSHAKE_BURST },
    async () => await handshake(server, '127.0.0.7')
  ))
  const handshakesAt = performance.now()
  for (const { ws } of handshakes) ws.terminate()
  const openedSockets = handshakes.filter((h) => h.result === 'open').length
  t.ok(
    handshakes.some((h) => h.result === 429),
    `the handshake flood met 429 (${openedSockets} opened of ${handshakes.length})`
  )
  const pages = []
  const pagesStarted = performance.now()
  for (let i = 0; i < LIMITS.RATE_LIMIT_MAX + 2; i++) pages.push(await get(server, '/login', '127.0.0.8'))
  const refusedPages = pages.filter((p) => p.status === 429)
  t.ok(
    refusedPages.length > 0,
    `the page flood met 429 (${pages.length - refusedPages.length} served of ${pages.length})`
  )
  const at = { messages: messagesAt, handshakes: handshakesAt, pagesStarted, pages: performance.now() }
  return { answeredMessages, openedSockets, servedPages: pages.length - refusedPages.length, refusedPages, at }
}
