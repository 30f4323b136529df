// The connection to the shared store against a real redis-server: an outage is logged once
// however many reconnect attempts fail, and its end once; a Redis that stops answering (SIGSTOP)
// is noticed by the probe, which keeps one PING in flight at a time however long
// REDIS_TIMEOUT_MS is, and once it answers again every onReconnect listener is told.
import t, { type Test } from 'tap'
import { createLogger } from '../../../src/logging/logger.js'
import { RedisConnection } from '../../../src/stores/redis/redis-connection.js'
import { waitUntil } from '../../helpers/hero-client.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { LogCapture } from '../../helpers/test-server.js'

function open (t: Test, redis: RedisServer, timeoutMs: number): { conn: RedisConnection, logs: LogCapture } {
  const logs = new LogCapture()
  const conn = new RedisConnection(
    { url: redis.url, keyPrefix: 'connection-test:', timeoutMs },
    createLogger('info', logs),
    'test'
  )
  t.teardown(() => conn.close())
  return { conn, logs }
}

const events = (logs: LogCapture, event: string): number => logs.entries().filter((e) => e.event === event).length

t.test('a Redis that is stopped and started again: one line for the outage, one for its end, a reconnect ' +
  'told', async (t) => {
  const redis = await RedisServer.start(t)
  const { conn, logs } = open(t, redis, 300)
  await waitUntil(() => conn.reachable, 'the first connect')
  let reconnects = 0
  conn.onReconnect(() => { reconnects++ })
  await redis.stop()
  await waitUntil(() => !conn.reachable, 'the outage to be noticed', 3000)
  await new Promise((resolve) => setTimeout(resolve, 1500)) // several failed reconnect attempts
  t.equal(events(logs, 'redis_unreachable'), 1, 'the outage is logged once')
  t.match(logs.entries().find((e) => e.event === 'redis_unreachable'), { level: 50 }, 'as an error')
  await redis.startProcess()
  await waitUntil(() => conn.reachable, 'Redis to answer again', 10_000)
  await waitUntil(() => reconnects >= 1, 'the reconnect to be told', 5000)
  t.equal(events(logs, 'redis_reachable'), 1, 'and its end once')
  t.equal(await conn.client.ping(), 'PONG', 'commands work again')
})

t.test('a stalled Redis (SIGSTOP): the probe notices, one PING at a time, and the connection comes back after ' +
  'SIGCONT', async (t) => {
  const redis = await RedisServer.start(t)
  // A long timeout: with a probe every second, PINGs would pile up without the in-flight guard.
  const { conn } = open(t, redis, 3000)
  await waitUntil(() => conn.reachable, 'the first connect')
  const ping = conn.client.ping.bind(conn.client)
  let inFlight = 0
  let most = 0
  conn.client.ping = (async () => {
    inFlight++
    most = Math.max(most, inFlight)
    try { return await ping() } finally { inFlight-- }
  }) as never
  let reconnects = 0
  conn.onReconnect(() => { reconnects++ })
  redis.pause()
  t.teardown(() => { try { redis.resume() } catch {} })
  const paused = Date.now()
  await waitUntil(() => !conn.reachable, 'the stall to be noticed', 8000)
  const noticedMs = Date.now() - paused
  t.ok(noticedMs < 1000 + 3000 + 3000, `noticed within a probe interval and REDIS_TIMEOUT_MS (${noticedMs} ms)`)
  await new Promise((resolve) => setTimeout(resolve, 2500))
  t.equal(most, 1, 'never more than one PING in flight')
  redis.resume()
  await waitUntil(() => conn.reachable, 'Redis to answer again', 10_000)
  await waitUntil(() => reconnects >= 1, 'the reconnect to be told', 5000)
  t.equal(await conn.client.ping(), 'PONG')
})
