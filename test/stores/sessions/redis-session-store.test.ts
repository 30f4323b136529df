// RedisSessionStore against a real redis-server: the session-store contract, then what is its
// own: two stores on one Redis see each other's sessions and ends, only the key of an id is
// stored, the sweep ends each expired session once however many instances sweep, and a Redis
// that is gone or stopped makes every call fail fast with StoreUnavailableError.
import t, { type Test } from 'tap'
import { StoreUnavailableError } from '../../../src/errors.js'
import { RedisConnection } from '../../../src/stores/redis/redis-connection.js'
import { RedisSessionStore } from '../../../src/stores/sessions/redis-session-store.js'
import type { SessionTimeouts } from '../../../src/stores/sessions/session-expiry.js'
import type { SessionEnd } from '../../../src/stores/sessions/session-store.js'
import { waitUntil } from '../../helpers/hero-client.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { LogCapture, TestClock } from '../../helpers/test-server.js'
import { createLogger } from '../../../src/logging/logger.js'
import { sessionStoreContract } from './store-contract.js'

/** A connection to `redis` with a fresh prefix, closed at teardown. */
function connection (t: Test, redis: RedisServer, prefix: string, timeoutMs = 500): RedisConnection {
  const conn = new RedisConnection({ url: redis.url, keyPrefix: prefix, timeoutMs }, createLogger('silent'), 'test')
  t.teardown(() => conn.close())
  return conn
}

function store (
  t: Test,
  conn: RedisConnection,
  timeouts: SessionTimeouts,
  clock: TestClock,
  instanceId: string,
  sweepIntervalMs = 0
): RedisSessionStore {
  const s = new RedisSessionStore(
    conn,
    timeouts,
    { testClock: clock.read, sweepIntervalMs, instanceId, log: createLogger('silent', new LogCapture()) }
  )
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
  t.match(
    endsB,
    [{ reason: 'logout', source: 'local', session: { key: session.key, username: 'alice' } }],
    'B reports its own end at once'
  )
  await waitUntil(() => endsA.length === 1, 'A to hear of the end')
  t.match(
    endsA,
    [{ reason: 'logout', source: 'publish', session: { key: session.key, username: 'alice' } }],
    'A hears it, once'
  )
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
  const dump = JSON.stringify([
    await client.hgetall(`${prefix}session:${session.key}`),
    await client.smembers(`${prefix}user-sessions:alice`),
    await client.zrange(`${prefix}session-deadlines`, '0', '-1')
  ])
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
  const sessions = await Promise.all(Array.from(
    { length: 20 },
    async () => await stores[0]!.create('bob', 'c'.repeat(32))
  ))
  clock.advance(60_000)
  await waitUntil(() => ends.length >= 20, 'the sweeps to end all twenty')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(ends.length, 20, 'twenty ends in all, each reported by the one instance that ended it')
  t.same(new Set(ends.map((e) => e.session.key)).size, 20)
  t.ok(ends.every((e) => e.reason === 'idle_timeout'))
  t.same(await stores[1]!.filterLive(sessions.map((s) => s.session.key)), new Set())
})

/** Redis's own time, epoch ms. */
async function redisTime (redis: RedisServer, t: Test): Promise<number> {
  const [seconds, micros] = await redis.client(t).time()
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
}

/**
 * A store without a test clock, built while this process's Date.now runs `skewMs` off (as if the
 * wall clock of its instance had been stepped): whatever it reads of Date.now, it reads skewed.
 */
function skewedStore (
  t: Test,
  conn: RedisConnection,
  timeouts: SessionTimeouts,
  skewMs: number,
  sweepIntervalMs = 0
): RedisSessionStore {
  const realNow = Date.now
  Date.now = () => realNow() + skewMs
  try {
    const s = new RedisSessionStore(
      conn,
      timeouts,
      { sweepIntervalMs, instanceId: `skewed ${skewMs}`, log: createLogger('silent', new LogCapture()) }
    )
    t.teardown(() => s.close())
    return s
  } finally {
    Date.now = realNow
  }
}

const THIRTY_ONE_MINUTES = 31 * 60_000

t.test('without a test clock only Redis\'s TIME decides: a skewed instance clock ends nothing and creates nothing ' +
  'stale', async (t) => {
  const prefix = `time-${prefixes++}:`
  const [connA, connB] = [connection(t, redis, prefix), connection(t, redis, prefix)]
  const timeouts = { idleTimeoutMs: 30 * 60_000, absoluteTimeoutMs: 8 * 3600_000 }
  const ahead = skewedStore(t, connA, timeouts, THIRTY_ONE_MINUTES)
  const behind = skewedStore(t, connB, timeouts, -THIRTY_ONE_MINUTES)
  await ready(connA)
  await ready(connB)
  const ends: SessionEnd[] = []
  for (const s of [ahead, behind]) s.onEnd((end) => ends.push(end))

  const before = await redisTime(redis, t)
  const fromBehind = await behind.create('alice', 'c'.repeat(32))
  const fromAhead = await ahead.create('alice', 'c'.repeat(32))
  const after = await redisTime(redis, t)
  for (const { session } of [fromBehind, fromAhead]) {
    t.ok(
      session.createdAt >= before && session.createdAt <= after,
      `created at Redis's time (${session.createdAt - before} ms after it was read), whatever the instance's clock says`
    )
  }
  await ahead.sweep()
  t.ok(
    await ahead.get(fromBehind.id),
    'the instance 31 min ahead finds the session created by the one 31 min behind live, after its sweep'
  )
  await ahead.touch(fromBehind.id)
  await behind.sweep()
  t.ok(await behind.get(fromAhead.id), 'and the one behind finds the other\'s session live')
  t.same(
    await behind.filterLive([fromBehind.session.key, fromAhead.session.key]),
    new Set([fromBehind.session.key, fromAhead.session.key]),
    'the re-check finds both live'
  )
  t.equal((await ahead.listUser('alice')).length, 2, 'and both are listed')
  t.same(ends, [], 'nothing ended')
})

t.test('without a test clock, idle expiry runs on Redis\'s clock, however far an instance\'s clock ' +
  'jumps', async (t) => {
  const idleTimeoutMs = 2500
  for (const skew of [THIRTY_ONE_MINUTES, -THIRTY_ONE_MINUTES]) {
    const conn = connection(t, redis, `idle-${prefixes++}:`)
    const s = skewedStore(t, conn, { idleTimeoutMs, absoluteTimeoutMs: 60_000 }, skew, 20)
    await ready(conn)
    const ends: SessionEnd[] = []
    s.onEnd((end) => ends.push(end))
    const { id, session } = await s.create('alice', 'c'.repeat(32))
    t.ok(await s.get(id), `clock ${skew > 0 ? 'ahead' : 'behind'}: live just after login`)
    await waitUntil(() => ends.length > 0, 'the sweep to end the idle session', 10_000)
    const endedAt = await redisTime(redis, t)
    t.match(
      ends,
      [{ reason: 'idle_timeout', source: 'local', session: { key: session.key } }],
      'ended once, for idleness'
    )
    t.ok(
      endedAt - session.createdAt >= idleTimeoutMs,
      `not before the idle timeout by Redis's clock (${endedAt - session.createdAt} ms)`
    )
    t.equal(await s.get(id), undefined)
  }
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
