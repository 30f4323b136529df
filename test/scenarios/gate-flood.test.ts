// A flood of bad input over raw TLS (and some plain TCP): thousands of broken handshakes and
// broken frames, bounded in count and time, with a fixed seed. Each kind must end the way it
// should (its status, its close code, or the server hanging up), and afterwards the server still
// serves a good client, nothing was thrown, no error was logged and no connection is left over.
import net from 'node:net'
import t, { type Test } from 'tap'
import { HeroClient, waitUntil } from '../helpers/hero-client.js'
import { decodeFrames, encodeFrame, OPCODE, parseClose } from '../helpers/raw-frames.js'
import { parseResponseHead, upgradeRequest } from '../helpers/raw-handshake.js'
import { RawClient } from '../helpers/raw-ws.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

const uncaught: unknown[] = []
process.on('uncaughtException', (err) => { uncaught.push(err) })
process.on('unhandledRejection', (err) => { uncaught.push(err) })

/** Deterministic pseudo-random numbers (the flood is the same on every run). */
function seeded (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 4294967296
  }
}

/** How one connection ended, from the client's side. */
type Outcome = string

/** Longest a flood connection may wait for the server to hang up (ms). */
const HANG_UP_MS = 10_000
/** How long a connection the server may legitimately keep waits before giving up itself (ms). */
const LINGER_MS = 300
/** How long plain TCP garbage waits for the TLS layer to hang up (ms). */
const TCP_WAIT_MS = 2000

// TLS session resumption keeps the flood's cost in the gate rather than in key exchanges.
let tlsSession: Buffer | undefined

/**
 * Writes `data` (all at once) on a new TLS connection and reports how it ended: `wait` for the
 * server to hang up (or send a close frame), `end` our side first, `linger` briefly, or `drop` at once.
 */
async function tlsOutcome (
  server: TestServer,
  data: Buffer | string,
  mode: 'wait' | 'end' | 'linger' | 'drop'
): Promise<Outcome> {
  let client: RawClient
  try {
    client = await RawClient.connect(server, tlsSession === undefined ? {} : { session: tlsSession })
  } catch (err) {
    return `connect failed ${(err as NodeJS.ErrnoException).code ?? ''}`
  }
  client.socket.once('session', (session: Buffer) => { tlsSession = session })
  client.write(data)
  if (mode === 'drop') {
    client.destroy()
    return 'dropped'
  }
  if (mode === 'end') client.socket.end()
  try {
    // A close frame is the server's last word; ws then waits for ours, which a flood never sends.
    await client.waitFor(
      (received) => describe(received).startsWith('close '),
      mode === 'linger' ? LINGER_MS : HANG_UP_MS,
      'the server to hang up'
    )
  } catch {
    if (!client.closed) {
      client.destroy()
      return mode === 'linger' ? 'kept open' : 'TIMEOUT'
    }
  } finally {
    client.destroy()
  }
  return describe(client.data)
}

/** `http <status>`, `close <code>` (after a 101), or `hung up` (no response at all). */
function describe (data: Buffer): Outcome {
  if (data.length === 0) return 'hung up'
  let head
  try {
    head = parseResponseHead(data)
  } catch {
    return 'not HTTP'
  }
  if (head === undefined) return 'partial response'
  if (head.status !== 101) return `http ${head.status}`
  const close = decodeFrames(data.subarray(head.length)).frames.find((f) => f.opcode === OPCODE.close)
  return close === undefined ? 'upgraded, no close frame' : `close ${parseClose(close.payload).code}`
}

/**
 * Plain TCP (no TLS) at the TLS port: `data`, then FIN. Bytes that read as the start of a long
 * TLS (or SSLv2) record leave the TLS layer waiting for the rest despite the FIN: `held`, until
 * we close (or the TLS handshake timeout, 120 s by default, ends it). What starts like an HTTP
 * request gets the one plain answer (src/edge/plain-http-on-tls.ts) before the hang-up: `plain 400`.
 */
async function tcpOutcome (server: TestServer, data: Buffer | string): Promise<Outcome> {
  return await new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: server.port })
    let answer = ''
    const timer = setTimeout(() => { socket.destroy(); resolve('held') }, TCP_WAIT_MS)
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString('latin1') })
    socket.on('connect', () => socket.end(data))
    socket.on('close', () => {
      clearTimeout(timer)
      // Anything but HTTP (a TLS alert) before the hang-up is still a hang-up.
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1]
      resolve(status === undefined ? 'hung up' : `plain ${status}`)
    })
  })
}

interface Kind {
  name: string
  /** Refused by the gate itself: spends the refusal budget (and answers 429 once it is spent). */
  limited?: boolean
  /** Outcomes this kind may end with. */
  expect: readonly Outcome[]
  run: (server: TestServer, sid: string, random: () => number) => Promise<Outcome>
}

const bytes = (random: () => number, n: number): Buffer => Buffer.from(Array.from(
  { length: n },
  () => Math.floor(random() * 256)
))
const goodUpgrade = (server: TestServer, sid: string): string => upgradeRequest(server, { sid })

/** The gate's refusal reasons the flood's bad handshakes can meet. */
const REFUSAL_REASONS = [
  'not_found',
  'method_not_allowed',
  'origin_forbidden',
  'origin_duplicated',
  'origin_missing',
  'session_missing',
  'session_invalid',
  'bad_handshake'
] as const

/** Bad handshakes: each is a new TLS connection that must never be upgraded. */
const HANDSHAKE_KINDS: readonly Kind[] = [
  {
    name: 'random bytes',
    expect: ['http 400', 'hung up'],
    run: async (s, _sid, r) => await tlsOutcome(s, bytes(r, 1 + Math.floor(r() * 2000)), 'end')
  },
  {
    name: 'truncated upgrade request, then FIN',
    expect: ['http 400', 'hung up'],
    run: async (s, sid, r) => {
      const req = goodUpgrade(s, sid)
      return await tlsOutcome(s, req.slice(0, Math.floor(r() * (req.length - 4))), 'end')
    }
  },
  {
    name: 'truncated upgrade request, then gone',
    expect: ['dropped'],
    run: async (s, sid, r) => {
      const req = goodUpgrade(s, sid)
      return await tlsOutcome(s, req.slice(0, Math.floor(r() * (req.length - 4))), 'drop')
    }
  },
  {
    name: 'bad path',
    limited: true,
    expect: ['http 404'],
    run: async (s, sid, r) => await tlsOutcome(
      s,
      upgradeRequest(s, { sid, path: ['/', '/ws/', '/WS', '/ws2', '/../ws', '/%2e%2e/ws'][Math.floor(r() * 6)] }),
      'wait'
    )
  },
  {
    name: 'POST',
    limited: true,
    expect: ['http 405'],
    run: async (s, sid) => await tlsOutcome(s, upgradeRequest(s, { sid, method: 'POST' }), 'wait')
  },
  {
    name: 'bad origin',
    limited: true,
    expect: ['http 403'],
    run: async (s, sid, r) => {
      const origins = ['https://evil.com', 'null', `http://127.0.0.1:${s.port}`, `${s.origin}.evil.com`]
      return await tlsOutcome(s, upgradeRequest(s, { sid, origins: [origins[Math.floor(r() * 4)] ?? ''] }), 'wait')
    }
  },
  {
    name: 'two origins',
    limited: true,
    expect: ['http 403'],
    run: async (s, sid) => await tlsOutcome(s, upgradeRequest(s, { sid, origins: [s.origin, s.origin] }), 'wait')
  },
  {
    name: 'no origin',
    limited: true,
    expect: ['http 403'],
    run: async (s, sid) => await tlsOutcome(s, upgradeRequest(s, { sid, origins: [] }), 'wait')
  },
  {
    name: 'no cookie',
    limited: true,
    expect: ['http 401'],
    run: async (s) => await tlsOutcome(s, upgradeRequest(s), 'wait')
  },
  {
    name: 'forged session id',
    limited: true,
    expect: ['http 401'],
    run: async (s, _sid, r) => await tlsOutcome(
      s,
      upgradeRequest(s, { sid: bytes(r, 32).toString('base64url') }),
      'wait'
    )
  },
  {
    name: 'bad Sec-WebSocket-Key',
    limited: true,
    expect: ['http 400'],
    run: async (s, sid) => await tlsOutcome(s, upgradeRequest(s, { sid, key: 'short' }), 'wait')
  },
  {
    name: 'bad Sec-WebSocket-Version',
    limited: true,
    expect: ['http 400'],
    run: async (s, sid) => await tlsOutcome(s, upgradeRequest(s, { sid, version: '99' }), 'wait')
  },
  {
    name: 'huge header',
    expect: ['http 431', 'hung up'],
    run: async (s, sid) => await tlsOutcome(
      s,
      upgradeRequest(s, { sid, headers: [['X-Pad', 'a'.repeat(20_000)]] }),
      'wait'
    )
  },
  {
    name: 'many headers',
    expect: ['http 431', 'hung up'],
    run: async (s, sid) => await tlsOutcome(
      s,
      upgradeRequest(s, { sid, headers: Array.from({ length: 3000 }, (_v, i) => [`X-${i}`, 'x'] as const) }),
      'wait'
    )
  },
  {
    name: 'garbage after a refused upgrade',
    limited: true,
    expect: ['http 401'],
    run: async (s, _sid, r) => await tlsOutcome(
      s,
      Buffer.concat([Buffer.from(upgradeRequest(s)), bytes(r, 500)]),
      'wait'
    )
  },
  {
    name: 'plain TCP garbage at the TLS port',
    expect: ['hung up', 'held', 'plain 400'],
    run: async (s, _sid, r) => await tcpOutcome(s, bytes(r, 1 + Math.floor(r() * 500)))
  },
  {
    name: 'plain-text upgrade at the TLS port',
    expect: ['plain 400'],
    run: async (s, sid) => await tcpOutcome(s, goodUpgrade(s, sid))
  }
]

/** Bad frames: each opens a real socket (101) and then sends something ws must refuse. */
const FRAME_KINDS: readonly Kind[] = [
  {
    name: 'reserved opcode',
    expect: ['close 1002'],
    run: async (s, sid, r) => await framed(
      s,
      sid,
      encodeFrame([3, 4, 5, 6, 7, 11, 12, 13, 14, 15][Math.floor(r() * 10)] ?? 3, 'x'),
      'wait'
    )
  },
  {
    name: 'unmasked frame',
    expect: ['close 1002'],
    run: async (s, sid) => await framed(
      s,
      sid,
      encodeFrame(OPCODE.text, '{"type":"get_name","hero":"hulk"}', { mask: false }),
      'wait'
    )
  },
  {
    name: 'RSV bits',
    expect: ['close 1002'],
    run: async (s, sid, r) => await framed(
      s,
      sid,
      encodeFrame(OPCODE.text, 'x', { rsv: 1 + Math.floor(r() * 7) }),
      'wait'
    )
  },
  {
    name: 'bad UTF-8',
    expect: ['close 1007'],
    run: async (s, sid) => await framed(s, sid, encodeFrame(OPCODE.text, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 'wait')
  },
  {
    name: 'announced length over MAX_PAYLOAD',
    expect: ['close 1009'],
    run: async (s, sid, r) => await framed(
      s,
      sid,
      encodeFrame(OPCODE.text, Buffer.alloc(8), { declaredLength: 5000 + Math.floor(r() * 2 ** 40) }).subarray(0, 14),
      'wait'
    )
  },
  {
    name: 'oversize text',
    expect: ['close 1009'],
    run: async (s, sid) => await framed(s, sid, encodeFrame(OPCODE.text, ' '.repeat(5000)), 'wait')
  },
  {
    name: 'binary',
    expect: ['close 1003'],
    run: async (s, sid, r) => await framed(s, sid, encodeFrame(OPCODE.binary, bytes(r, 100)), 'wait')
  },
  {
    name: 'half a frame, then gone',
    expect: ['dropped'],
    run: async (s, sid, r) => {
      const f = encodeFrame(OPCODE.text, '{"type":"get_name","hero":"hulk"}')
      return await framed(s, sid, f.subarray(0, 1 + Math.floor(r() * (f.length - 1))), 'drop')
    }
  },
  {
    name: 'half a frame, then silence',
    expect: ['kept open'],
    run: async (s, sid) => await framed(s, sid, encodeFrame(OPCODE.text, 'x'.repeat(100)).subarray(0, 50), 'linger')
  },
  {
    name: 'random bytes after the upgrade',
    expect: ['close 1002', 'close 1007', 'close 1009', 'close 1003', 'kept open', 'upgraded, no close frame'],
    run: async (s, sid, r) => await framed(s, sid, bytes(r, 1 + Math.floor(r() * 300)), 'linger')
  }
]

/** A good upgrade with `payload` written right behind it. */
async function framed (
  server: TestServer,
  sid: string,
  payload: Buffer,
  mode: 'wait' | 'linger' | 'drop'
): Promise<Outcome> {
  return await tlsOutcome(server, Buffer.concat([Buffer.from(goodUpgrade(server, sid)), payload]), mode)
}

/** Runs `count` connections drawn from `kinds`, `concurrency` at a time; returns outcomes per kind. */
async function flood (
  server: TestServer,
  sid: string,
  kinds: readonly Kind[],
  count: number,
  concurrency: number,
  seed: number
): Promise<Map<string, Map<Outcome, number>>> {
  const random = seeded(seed)
  const jobs = Array.from({ length: count }, (_v, i) => kinds[i % kinds.length] as Kind)
  const outcomes = new Map<string, Map<Outcome, number>>()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const kind = jobs[next++] as Kind
      const outcome = await kind.run(server, sid, random)
      const byOutcome = outcomes.get(kind.name) ?? new Map<Outcome, number>()
      byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1)
      outcomes.set(kind.name, byOutcome)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return outcomes
}

function assertOutcomes (t: Test, kinds: readonly Kind[], outcomes: Map<string, Map<Outcome, number>>): void {
  for (const kind of kinds) {
    const seen = outcomes.get(kind.name) ?? new Map<Outcome, number>()
    const unexpected = [...seen.keys()].filter((o) => !kind.expect.includes(o))
    t.same(unexpected, [], `${kind.name}: ${JSON.stringify(Object.fromEntries(seen))}`)
  }
}

/** Open TCP connections on the server (upgraded sockets included). */
async function serverConnections (server: TestServer): Promise<number> {
  return await new Promise((resolve, reject) =>
    server.app.server.getConnections((err, n) => err ? reject(err) : resolve(n)))
}

/**
 * After a flood: no error logged, no connection left open beyond `baseline` (the login's
 * keep-alive connection, closed by now or soon), and a good client is served.
 */
async function assertHealthy (t: Test, server: TestServer, sid: string, baseline: number): Promise<void> {
  await waitUntil(() => server.app.websocket.connections.size === 0, 'every flood socket to be forgotten', 20_000)
  let open = -1
  const poll = setInterval(() => { void serverConnections(server).then((n) => { open = n }) }, 20)
  // At most the baseline: the login's keep-alive connection may have timed out meanwhile.
  await waitUntil(() => open >= 0 && open <= baseline, 'every flood connection to ' +
    'close', 20_000).finally(() => clearInterval(poll))
  t.ok(open <= baseline, 'no flood connection left open on the server')
  const client = await HeroClient.open(t, server, sid)
  t.match(await client.next(), { type: 'user_authorized', user: { username: 'alice' } }, 'a good client is greeted')
  t.same(
    await client.request({ type: 'get_name', id: 1, hero: 'ironMan' }),
    { type: 'name', id: 1, hero: 'ironMan', hero_name: 'Tony Stark' },
    'and answered'
  )
  client.ws.close()
  await client.closed()
  const errors = server.logs.entries().filter((e) => typeof e.level === 'number' && e.level >= 50)
  t.same(errors.map((e) => e.msg), [], 'no error logged')
  t.same(uncaught, [], 'no uncaught exception or unhandled rejection')
  t.notOk(server.logs.text.includes(sid), 'the session id never reached the logs')
}

/** Flood sizes: connections per phase (fixed, with fixed seeds), and the time they may take. */
const HANDSHAKE_FLOOD = 1500
const FRAME_FLOOD = 450
const DEFAULT_LIMITS_FLOOD = 450
const FLOOD_BUDGET_S = 60

t.test('flood with generous handshake limits: every gate and every frame check holds', async (t) => {
  const server = await startTestServer(t, {
    WS_HANDSHAKE_RATE: '1000000',
    WS_HANDSHAKE_BURST: '1000000',
    WS_REFUSED_HANDSHAKE_RATE: '1000000',
    WS_REFUSED_HANDSHAKE_BURST: '1000000',
    WS_MAX_CONNECTIONS_PER_IP: '1000',
    WS_MAX_CONNECTIONS_PER_USER: '1000',
    // What Node cannot parse (random bytes, huge headers) counts in the cross-site budget.
    RATE_LIMIT_MAX: '1000000',
    RATE_LIMIT_CROSS_SITE_MAX: '1000000'
  })
  const sid = await server.login()
  const baseline = await serverConnections(server)
  const heapBefore = process.memoryUsage().heapUsed
  const started = Date.now()
  const handshakes = await flood(server, sid, HANDSHAKE_KINDS, HANDSHAKE_FLOOD, 24, 1)
  const frames = await flood(server, sid, FRAME_KINDS, FRAME_FLOOD, 24, 2)
  const seconds = (Date.now() - started) / 1000
  t.comment(`${HANDSHAKE_FLOOD + FRAME_FLOOD} flood connections in ${seconds.toFixed(1)} s; gate: ` +
    `${JSON.stringify(server.app.websocket.stats.snapshot())}`)
  t.ok(seconds < FLOOD_BUDGET_S, `bounded in time (${seconds.toFixed(1)} s)`)
  assertOutcomes(t, HANDSHAKE_KINDS, handshakes)
  assertOutcomes(t, FRAME_KINDS, frames)
  const stats = server.app.websocket.stats
  for (const reason of REFUSAL_REASONS) {
    t.ok(stats.get(reason) >= 50, `${reason} counted (${stats.get(reason)})`)
  }
  // Sockets dropped right after writing may be gone before the server reads their handshake.
  const accepted = stats.get('accepted')
  t.ok(accepted >= FRAME_FLOOD * 0.9 && accepted <= FRAME_FLOOD, `only frame-flood sockets were accepted (${accepted})`)
  await assertHealthy(t, server, sid, baseline)
  const grown = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024
  t.ok(grown < 150, `heap grew ${grown.toFixed(1)} MB`)
})

t.test('flood with the default handshake limits: the budgets answer 429 and nothing breaks', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const baseline = await serverConnections(server)
  const kinds = HANDSHAKE_KINDS.map((kind) => ({
    ...kind,
    expect: kind.limited === true ? [...kind.expect, 'http 429'] : kind.expect
  }))
  const started = Date.now()
  const outcomes = await flood(server, sid, kinds, DEFAULT_LIMITS_FLOOD, 16, 3)
  const seconds = (Date.now() - started) / 1000
  t.comment(`${DEFAULT_LIMITS_FLOOD} flood connections in ${seconds.toFixed(1)} s; gate: ` +
    `${JSON.stringify(server.app.websocket.stats.snapshot())}`)
  t.ok(seconds < FLOOD_BUDGET_S, `bounded in time (${seconds.toFixed(1)} s)`)
  assertOutcomes(t, kinds, outcomes)
  const stats = server.app.websocket.stats
  const refusedByGate = Array.from({ length: DEFAULT_LIMITS_FLOOD }, (_v, i) => kinds[i % kinds.length])
    .filter((k) => k?.limited === true).length
  const answered = REFUSAL_REASONS
    .reduce((sum, reason) => sum + stats.get(reason), 0)
  t.equal(
    answered,
    20,
    'exactly WS_REFUSED_HANDSHAKE_BURST (20) refusals were answered with their reason (the clock stood still)'
  )
  const limited = stats.get('handshake_refusals_limited') + stats.get('handshake_rate_limited')
  t.equal(limited, refusedByGate - 20, `the other ${refusedByGate - 20} got 429`)
  t.ok(stats.get('handshake_refusals_limited') > 0, 'most of them for the refusal budget')
  t.equal(stats.get('ip_connection_limit'), 0)
  t.equal(stats.get('accepted'), 0)
  server.clock.advance(10_000)
  await assertHealthy(t, server, sid, baseline)
})
