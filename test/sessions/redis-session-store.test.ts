// RedisSessionStore against a real redis-server: the session-store contract, then what is its
// own: two stores on one Redis see each other's sessions and ends, only the key of an id is
// stored, the sweep ends each expired session once however many instances sweep, and a Redis
// that is gone or stopped makes every call fail fast with StoreUnavailableError.
import t, { type Test } from 'tap'
import { StoreUnavailableError } from '../../src/errors.js'
import { RedisConnection } from '../../src/redis/redis-connection.js'
import { RedisSessionStore } from '../../src/sessions/redis-session-store.js'
import type { SessionTimeouts } from '../../src/sessions/session-expiry.js'
import type { SessionEnd } from '../../src/sessions/session-store.js'
import { waitUntil } from '../helpers/hero-client.js'
import { RedisServer } from '../helpers/redis-server.js'
import { LogCapture, TestClock } from '../helpers/test-server.js'
import { createLogger } from '../../src/logging/logger.js'
import { sessionStoreContract } from './store-contract.js'

/** A connection to `redis` with a fresh prefix, closed at teardown. */
function connection (t: Test, redis: RedisServer, prefix: string, timeoutMs = 500): RedisConnection {
  const conn = new RedisConnection({ url: redis.url, keyPrefix: prefix, timeoutMs }, createLogger('silent'), 'test')
  t.teardown(() => conn.close())
  return conn
}

function store (t: Test, conn: RedisConnection, timeouts: SessionTimeouts, clock: TestClock, instanceId: string, sweepIntervalMs = 0): RedisSessionStore {
  const s = new RedisSessionStore(conn, timeouts, { now: clock.read, sweepIntervalMs, instanceId, log: createLogger('silent', new LogCapture()) })
  t.teardown(() => s.close())
  return s
}

async function ready (conn: RedisConnection): Promise<void> {
  await waitUntil(() => conn.reachable, 'the connection to Redis')
}

const redis = await RedisServer.start(t)
let prefixes = 0

t.test('the session-store contract', async (t) => {
  sessionStoreContract(t, async (t, timeouts, clock) => {
    const conn = connection(t, redis, `contract-${prefixes++}:`)
    await ready(conn)
    return store(t, conn, timeouts, clock, 'contract')
  })
})

const TIMEOUTS = { idleTimeoutMs: 60_000, absoluteTimeoutMs: 300_000 }

t.test('two instances on one Redis: each sees the other\'s sessions, and hears its ends', async (t) => {
  const prefix = `pair-${prefixes++}:`
  const clock = new TestClock()
  const [connA, connB] = [connection(t, redis, prefix), connection(t, redis, prefix)]
  const [a, b] = [store(t, connA, TIMEOUTS, clock, 'A'), store(t, connB, TIMEOUTS, clock, 'B')]
  await ready(connA)
  await ready(connB)
  const endsA: SessionEnd[] = []
  const endsB: SessionEnd[] = []
  a.onEnd((end) => endsA.push(end))
  b.onEnd((end) => endsB.push(end))
  await new Promise((resolve) => setTimeout(resolve, 50)) // both subscribed
  const { id, session } = await a.create('alice', 'c'.repeat(32))
  t.same(await b.get(id), session, 'B finds the session A created')
  clock.advance(30_000)
  await b.touch(id)
  t.equal((await a.get(id))?.lastSeenAt, clock.now, 'A sees B\'s touch')
  await b.destroy(id, 'logout')
  t.match(endsB, [{ reason: 'logout', source: 'local', session: { key: session.key, username: 'alice' } }], 'B reports its own end at once')
  await waitUntil(() => endsA.length === 1, 'A to hear of the end')
  t.match(endsA, [{ reason: 'logout', source: 'publish', session: { key: session.key, username: 'alice' } }], 'A hears it, once')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(endsB.length, 1, 'B does not report its own end twice')
  t.equal(await a.get(id), undefined)
})

t.test('only the SHA-256 of an id is in Redis', async (t) => {
  const prefix = `keys-${prefixes++}:`
  const conn = connection(t, redis, prefix)
  const s = store(t, conn, TIMEOUTS, new TestClock(), 'A')
  await ready(conn)
  const { id, session } = await s.create('alice', 'c'.repeat(32))
  const client = redis.client(t)
  const keys = await client.keys(`${prefix}*`)
  t.same(keys.sort(), [`${prefix}session-deadlines`, `${prefix}session:${session.key}`, `${prefix}user-sessions:alice`])
  const dump = JSON.stringify([await client.hgetall(`${prefix}session:${session.key}`), await client.smembers(`${prefix}user-sessions:alice`), await client.zrange(`${prefix}session-deadlines`, '0', '-1')])
  t.notMatch(dump, id, 'the id itself is nowhere')
  t.ok(await client.pttl(`${prefix}session:${session.key}`) > 0, 'Redis drops the hash by itself after its deadline')
})

t.test('several instances sweeping at once end each expired session once', async (t) => {
  const prefix = `sweep-${prefixes++}:`
  const clock = new TestClock()
  const conns = ['A', 'B', 'C'].map(() => connection(t, redis, prefix))
  for (const conn of conns) await ready(conn)
  const stores = conns.map((conn, i) => store(t, conn, TIMEOUTS, clock, `instance-${i}`, 5))
  const ends: SessionEnd[] = []
  for (const s of stores) s.onEnd((end) => { if (end.source === 'local') ends.push(end) })
  const sessions = await Promise.all(Array.from({ length: 20 }, async () => await stores[0]!.create('bob', 'c'.repeat(32))))
  clock.advance(60_000)
  await waitUntil(() => ends.length >= 20, 'the sweeps to end all twenty')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(ends.length, 20, 'twenty ends in all, each reported by the one instance that ended it')
  t.same(new Set(ends.map((e) => e.session.key)).size, 20)
  t.ok(ends.every((e) => e.reason === 'idle_timeout'))
  t.same(await stores[1]!.filterLive(sessions.map((s) => s.session.key)), new Set())
})

t.test('a Redis that is gone, or stopped, fails every call fast with StoreUnavailableError', async (t) => {
  const own = await RedisServer.start(t)
  const conn = connection(t, own, `fault-${prefixes++}:`, 300)
  const s = store(t, conn, TIMEOUTS, new TestClock(), 'A')
  await ready(conn)
  const { id } = await s.create('alice', 'c'.repeat(32))

  own.pause()
  let started = Date.now()
  await t.rejects(s.get(id), StoreUnavailableError, 'SIGSTOP: get fails')
  t.ok(Date.now() - started < 1000, `within the timeout (${Date.now() - started} ms)`)
  await t.rejects(s.create('alice', 'c'.repeat(32)), StoreUnavailableError, 'and create')
  own.resume()
  t.ok(await s.get(id), 'after SIGCONT the session is there again')

  await own.stop()
  started = Date.now()
  await t.rejects(s.get(id), StoreUnavailableError, 'stopped: get fails')
  await t.rejects(s.touch(id), StoreUnavailableError)
  await t.rejects(s.destroy(id, 'logout'), StoreUnavailableError)
  await t.rejects(s.listUser('alice'), StoreUnavailableError)
  await t.rejects(s.filterLive(['a'.repeat(64)]), StoreUnavailableError)
  t.ok(Date.now() - started < 1000, `at once, not after a timeout (${Date.now() - started} ms)`)

  await own.startProcess()
  await ready(conn)
  t.equal(await s.get(id), undefined, 'restarted empty: the session is gone')
  t.ok(await s.create('alice', 'c'.repeat(32)), 'and new sessions work again, with no restart of ours')
})
