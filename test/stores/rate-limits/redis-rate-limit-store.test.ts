// RedisRateLimitStore against a real redis-server: the rate-limit store contract on a test clock
// the scripts use in place of Redis's TIME, then what is its own: two instances share every
// window; without a test clock, Redis's TIME decides (an instance's wall clock decides nothing);
// Redis's clock stepped back starts a new window rather than stretching one; its keys are under
// the deployment's prefix; a Redis that does not answer makes every call fail fast with
// StoreUnavailableError (the request then fails closed), each call measured.
import t, { type Test } from 'tap'
import { StoreUnavailableError } from '../../../src/errors.js'
import { createLogger } from '../../../src/logging/logger.js'
import { RedisRateLimitStore } from '../../../src/stores/rate-limits/redis-rate-limit-store.js'
import { RedisConnection } from '../../../src/stores/redis/redis-connection.js'
import type { StoreObserver } from '../../../src/stores/stores.js'
import { waitUntil } from '../../helpers/hero-client.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { TestClock } from '../../helpers/test-server.js'
import { incr, rateLimitStoreContract, read } from './rate-limit-store-contract.js'

const redis = await RedisServer.start(t)
let prefixes = 0

async function connection (
  t: Test,
  prefix: string,
  server = redis,
  observer?: StoreObserver
): Promise<RedisConnection> {
  const conn = new RedisConnection(
    { url: server.url, keyPrefix: prefix, timeoutMs: 300 },
    createLogger('silent'),
    'test',
    observer
  )
  t.teardown(() => conn.close())
  await waitUntil(() => conn.reachable, 'the connection to Redis')
  return conn
}

t.test('the rate-limit store contract', async (t) => {
  rateLimitStoreContract(
    t,
    async (t, clock, settings = {}) => new RedisRateLimitStore(
      settings,
      await connection(t, `contract-${prefixes++}:`),
      { testClock: clock.read }
    )
  )
})

t.test('two instances on one Redis count in the same windows', async (t) => {
  const prefix = `pair-${prefixes++}:`
  const clock = new TestClock()
  const a = new RedisRateLimitStore({}, await connection(t, prefix), { testClock: clock.read })
  const b = new RedisRateLimitStore({}, await connection(t, prefix), { testClock: clock.read })
  await incr(a, 'client', 60_000)
  t.equal((await incr(b, 'client', 60_000)).current, 2, 'B counts on from A\'s request')
  t.equal((await incr(a.child({ routeInfo: {} }), 'login-ip:client', 60_000)).current, 1)
  t.equal(
    (await incr(b.child({ routeInfo: {} }), 'login-ip:client', 60_000)).current,
    2,
    'and so do their login limits'
  )
})

t.test('without a test clock, Redis\'s TIME decides: this process\'s Date.now does not', async (t) => {
  const store = new RedisRateLimitStore({}, await connection(t, `time-${prefixes++}:`))
  const realNow = Date.now
  t.teardown(() => { Date.now = realNow })
  const first = await incr(store, 'k', 400)
  t.equal(first.current, 1)
  t.ok(first.ttl > 0 && first.ttl <= 400, `a window of at most 400 ms (${first.ttl} left)`)
  Date.now = () => realNow() + 3_600_000
  t.equal((await incr(store, 'k', 400)).current, 2, 'Date.now an hour ahead ends no window')
  Date.now = () => realNow() - 3_600_000
  const third = await incr(store, 'k', 400)
  t.equal(third.current, 3, 'an hour back')
  t.ok(third.ttl <= 400, 'lengthens none')
  Date.now = realNow
  await new Promise((resolve) => setTimeout(resolve, 450))
  t.equal((await incr(store, 'k', 400)).current, 1, 'once Redis\'s 400 ms have passed: a new window')
})

t.test('the store\'s clock stepped back starts a new window, never stretches one', async (t) => {
  const clock = new TestClock()
  const store = new RedisRateLimitStore({}, await connection(t, `back-${prefixes++}:`), { testClock: clock.read })
  await incr(store, 'k', 10_000)
  await incr(store, 'k', 10_000)
  clock.advance(-3_600_000)
  t.same(await incr(store, 'k', 10_000), { current: 1, ttl: 10_000 }, 'a window of its normal length, from now')
})

t.test('keys live under the deployment\'s prefix and expire with their window', async (t) => {
  const prefix = `keys-${prefixes++}:`
  const conn = await connection(t, prefix)
  const store = new RedisRateLimitStore({}, conn)
  await incr(store, '10.0.0.1', 60_000)
  await incr(store.child({ routeInfo: { method: 'POST', url: '/login' } }), '10.0.0.1', 60_000)
  const admin = redis.client(t)
  const keys = (await admin.keys(`${prefix}*`)).sort()
  t.same(keys, [`${prefix}rate-limits:10.0.0.1`, `${prefix}rate-limits:route:POST/login-10.0.0.1`])
  for (const key of keys) {
    const ttl = await admin.pttl(key)
    t.ok(ttl > 0 && ttl <= 60_000, `${key} expires within its window (${ttl} ms)`)
  }
})

t.test('a Redis that does not answer: incr and read fail fast with StoreUnavailableError, each call ' +
  'measured', async (t) => {
  const own = await RedisServer.start(t)
  const calls: Array<[string, boolean]> = []
  const conn = await connection(
    t,
    'down:',
    own,
    { call: (operation, _seconds, ok) => { calls.push([operation, ok]) }, reconnected () {} }
  )
  const store = new RedisRateLimitStore({}, conn)
  await incr(store, 'k', 60_000)
  t.same(calls, [['rate_limit', true]], 'a call that answered, measured')
  own.pause()
  t.teardown(() => own.resume())
  const started = Date.now()
  await t.rejects(incr(store, 'k', 60_000), StoreUnavailableError, 'incr')
  await t.rejects(read(store, 'k', 60_000), StoreUnavailableError, 'read')
  t.ok(Date.now() - started < 2000, `within the timeout, not hanging (${Date.now() - started} ms)`)
  t.same(calls.slice(1), [['rate_limit', false], ['rate_limit_read', false]], 'the failures, measured')
})
