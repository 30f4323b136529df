// A client that honours retryAfterMs is never closed, and a flooder still is: the rule of
// src/ws/told-wait.ts on a test clock, then over the real server on the real monotonic clock with
// two polite clients, a `ws` client that sleeps each retryAfterMs and a Python `websockets`
// client written as a third party would (its keepalive pinging meanwhile), a few hundred requests
// each, every other one refused; and a flood on the same clock, which meets 1008 at once.
import { spawnSync } from 'node:child_process'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { RETRY_AFTER_TOLERANCE_MS, ToldWait } from '../../src/ws/told-wait.js'
import { HeroClient } from '../helpers/hero-client.js'
import { ROOT, runProcess } from '../helpers/http.js'
import { encodeFrame, OPCODE } from '../helpers/raw-frames.js'
import { RawWebSocket } from '../helpers/raw-ws.js'
import { startTestServer, TestClock, type TestServer } from '../helpers/test-server.js'

/** A message budget that makes a polite client wait 40 ms (more than the tolerance) for each token. */
const BUDGET = { MESSAGE_RATE: '25', MESSAGE_BURST: '5' }
/** Requests each polite client makes. */
const REQUESTS = 300

t.test('the rule: abuse only while a told wait runs; one early arrival within the tolerance per wait', async (t) => {
  const clock = new TestClock()
  const wait = new ToldWait(clock.read)
  t.equal(wait.ignored(), false, 'nothing told yet: a refused message is not abuse')
  wait.told(100)
  clock.advance(50)
  t.equal(wait.ignored(), true, 'halfway through the wait: abuse')
  clock.advance(50 - RETRY_AFTER_TOLERANCE_MS)
  t.equal(wait.ignored(), false, `${RETRY_AFTER_TOLERANCE_MS} ms early: tolerated (a timer tick early)`)
  wait.told(RETRY_AFTER_TOLERANCE_MS)
  t.equal(wait.ignored(), true, 'a second early arrival in the same wait: abuse')
  clock.advance(RETRY_AFTER_TOLERANCE_MS)
  t.equal(wait.ignored(), false, 'the wait is over: not abuse')
  wait.told(100)
  clock.advance(100 - RETRY_AFTER_TOLERANCE_MS - 1)
  t.equal(wait.ignored(), true, 'a new wait: earlier than the tolerance is abuse')
  clock.advance(1)
  t.equal(wait.ignored(), false, 'and it has its own early arrival')
})

/** A server on the real monotonic clock (the test clock stands still unless moved). */
async function realClockServer (env: Record<string, string> = {}): Promise<TestServer> {
  return await startTestServer(t, { ...BUDGET, ...env }, { now: () => performance.now() })
}

t.test('a ws client that sleeps each retryAfterMs: a few hundred requests, every one answered, ' +
  'never closed', async (t) => {
  const server = await realClockServer()
  const client = await HeroClient.open(t, server, await server.login())
  await client.next()
  let refused = 0
  let answered = 0
  for (let id = 0; id < REQUESTS; id++) {
    for (;;) {
      const reply = await client.request({ type: 'get_name', id, hero: 'hulk' })
      if (reply.code !== 'rate_limited') {
        if (reply.type === 'name' && reply.id === id) answered++
        break
      }
      refused++
      await sleep(Number(reply.retryAfterMs))
    }
  }
  t.equal(answered, REQUESTS, `all ${REQUESTS} requests answered`)
  t.ok(
    refused >= 20,
    `${refused} refusals met on the way (it asks as fast as it may; fewer on a slow machine, ` +
      'where round trips outlast the refill)'
  )
  t.equal(client.ws.readyState, client.ws.OPEN, 'never closed')
  t.notOk(server.logs.entries().some((e) => String(e.event).endsWith('_abuse')), 'no abuse logged')
})

/** The first python3 that has the websockets library (Debian's python3-websockets), if any. */
function pythonWithWebsockets (): string | undefined {
  for (const python of [process.env.PYTHON, 'python3', '/usr/bin/python3']) {
    if (python === undefined) continue
    if (spawnSync(python, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0) return python
  }
  return undefined
}

const python = pythonWithWebsockets()
t.test('a Python websockets client that sleeps each retryAfterMs, its keepalive pinging: never closed', {
  skip: python === undefined ? 'no python3 with the websockets library (apt-get install python3-websockets)' : false
}, async (t) => {
  const server = await realClockServer()
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hero-polite-'))
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }))
  const caFile = path.join(dir, 'ca.pem')
  await fsp.writeFile(caFile, server.ca)
  const script = path.join(ROOT, 'test', 'helpers', 'polite-client.py')
  // Pings every 2 s (websockets' default is 20 s), each one past the budget while the client keeps it empty.
  const run = await runProcess(
    python ?? 'python3',
    [script, `wss://127.0.0.1:${server.port}/ws`, server.origin, await server.login(), caFile, String(REQUESTS), '2'],
    {},
    '',
    120_000
  )
  t.equal(run.code, 0, `the client ran to its end ${run.stderr}`)
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>
  t.comment(`python client: ${JSON.stringify(result)}`)
  t.match(
    result,
    { answered: REQUESTS, closeCode: 1000 },
    `all ${REQUESTS} requests answered, and the client closed the socket itself (1000)`
  )
  t.notOk(result.closedEarly, 'never closed by the server, nor by its keepalive (every ping got its pong)')
  t.ok(Number(result.refused) >= 20, `${String(result.refused)} refusals met on the way`)
  t.notOk(
    server.logs.entries().some((e) => e.event === 'ws_rate_abuse' || e.event === 'ws_ping_abuse'),
    'no abuse logged'
  )
})

t.test('on the same clock and budget, a flood meets 1008 at once', async (t) => {
  const server = await realClockServer()
  const flooder = await RawWebSocket.open(server, await server.login())
  await flooder.next()
  const started = performance.now()
  flooder.client.write(
    Buffer.concat(
      Array.from(
        { length: 200 },
        (_, id) => encodeFrame(OPCODE.text, JSON.stringify({ type: 'get_name', id, hero: 'hulk' }))
      )
    )
  )
  const { code } = await flooder.nextClose()
  t.equal(code, 1008, 'closed with 1008')
  // Tokens the clock refilled while the flood was read (one per 40 ms; a loaded machine reads slowly).
  const refills = Math.ceil((performance.now() - started) * Number(BUDGET.MESSAGE_RATE) / 1000) + 1
  const texts = flooder.frames().filter((f) => f.opcode === OPCODE.text).map(
    (f) => JSON.parse(f.payload.toString()) as { type: string, code?: string }
  )
  const answered = texts.filter((m) => m.type === 'name').length
  const refused = texts.filter((m) => m.code === 'rate_limited').length
  t.ok(
    answered <= 5 + refills,
    `${answered} answered: its burst of 5, and at most the ${refills} tokens refilled meanwhile`
  )
  t.ok(
    refused <= 1 + 20 + 2 * refills,
    `${refused} refused: one told its wait and MAX_RATE_LIMITED_MESSAGES (20) more during it (and at most two more ` +
      'per refill), then closed'
  )
  t.equal(server.logs.entries().filter((e) => e.event === 'ws_rate_abuse').length, 1, 'logged once as ws_rate_abuse')
})
