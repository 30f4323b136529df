// The contract every rate-limit store keeps (src/stores/rate-limits/rate-limit-store.ts), as one
// suite that each implementation's test runs with its own factory and a clock the test moves:
// fixed windows that end on the store's clock exactly when they should, not a millisecond
// earlier; the time left counts down on that clock; read counts nothing; keys, and the children
// of different routes, count apart while createRateLimit's children share one namespace;
// concurrent requests are each counted once; options no store implements are refused.
import type { Test } from 'tap'
import type { RateLimitSettings, RateLimitStore } from '../../../src/stores/rate-limits/rate-limit-store.js'
import { TestClock } from '../../helpers/test-server.js'

/** Makes a fresh, empty store with `settings`, its windows on `clock`, closed at `t`'s teardown. */
export type RateLimitStoreFactory = (t: Test, clock: TestClock, settings?: RateLimitSettings) => Promise<RateLimitStore>

/** What incr answers, as a promise. */
export function incr (store: RateLimitStore, key: string, timeWindow: number, max = 100): Promise<{
  current: number,
  ttl: number
}> {
  return new Promise((resolve, reject) => {
    store.incr(
      key,
      (err, result) => {
        if (err === null && result !== undefined) resolve(result)
        else reject(err ?? new Error('no result'))
      },
      timeWindow,
      max
    )
  })
}

/** What read answers, as a promise. */
export function read (
  store: RateLimitStore,
  key: string,
  timeWindow: number
): Promise<{ current: number, ttl: number }> {
  return new Promise((resolve, reject) => {
    store.read(
      key,
      (err, result) => {
        if (err === null && result !== undefined) resolve(result)
        else reject(err ?? new Error('no result'))
      },
      timeWindow
    )
  })
}

export function rateLimitStoreContract (t: Test, factory: RateLimitStoreFactory): void {
  t.test('a window counts from its first request and ends on the store\'s clock, not a ms earlier', async (t) => {
    const clock = new TestClock()
    const store = await factory(t, clock)
    t.same(await incr(store, 'a', 10_000), { current: 1, ttl: 10_000 }, 'the first request opens a window')
    clock.advance(6_500)
    t.same(await incr(store, 'a', 10_000), { current: 2, ttl: 3_500 }, 'the time left counts down on the clock')
    clock.advance(3_499)
    t.same(await incr(store, 'a', 10_000), { current: 3, ttl: 1 }, 'one ms before the end: the same window')
    clock.advance(1)
    t.same(await incr(store, 'a', 10_000), { current: 1, ttl: 10_000 }, 'at its end: a new window')
  })

  t.test('read counts nothing', async (t) => {
    const clock = new TestClock()
    const store = await factory(t, clock)
    t.same(await read(store, 'b', 5_000), { current: 0, ttl: 0 }, 'no window yet')
    await incr(store, 'b', 5_000)
    await incr(store, 'b', 5_000)
    clock.advance(1_000)
    t.same(await read(store, 'b', 5_000), { current: 2, ttl: 4_000 })
    t.same(await read(store, 'b', 5_000), { current: 2, ttl: 4_000 }, 'twice: still two')
    clock.advance(4_000)
    t.same(await read(store, 'b', 5_000), { current: 0, ttl: 0 }, 'once the window ended')
  })

  t.test('keys count apart; a route\'s child counts apart from the store and other routes', async (t) => {
    const clock = new TestClock()
    const store = await factory(t, clock)
    await incr(store, 'x', 60_000)
    t.equal((await incr(store, 'y', 60_000)).current, 1, 'another key')
    const login = store.child({ routeInfo: { method: 'POST', url: '/login' } })
    const logout = store.child({ routeInfo: { method: 'POST', url: '/logout' } })
    t.equal((await incr(login, 'x', 60_000)).current, 1, 'a route\'s own limit')
    t.equal((await incr(logout, 'x', 60_000)).current, 1, 'another route\'s')
    t.equal((await incr(store, 'x', 60_000)).current, 2, 'the store\'s own count went on')
    t.equal(
      (await incr(store.child({ routeInfo: { method: 'POST', url: '/login' } }), 'x', 60_000)).current,
      2,
      'the same route again: the same counters'
    )
  })

  t.test('createRateLimit\'s children (no route) share one namespace, apart from the store\'s', async (t) => {
    const clock = new TestClock()
    const store = await factory(t, clock)
    await incr(store, 'cross-site:c', 60_000)
    const one = store.child({ routeInfo: {} })
    const other = store.child({ routeInfo: {} })
    t.equal((await incr(one, 'cross-site:c', 60_000)).current, 1)
    t.equal((await incr(other, 'cross-site:c', 60_000)).current, 2, 'one budget, whichever limiter spends it')
  })

  t.test('concurrent requests are each counted once', async (t) => {
    const store = await factory(t, new TestClock())
    const counts = await Promise.all(Array.from(
      { length: 20 },
      async () => (await incr(store, 'burst', 60_000)).current
    ))
    t.same([...counts].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1))
  })

  t.test('continueExceeding and exponentialBackoff are refused, not ignored', async (t) => {
    const clock = new TestClock()
    await t.rejects(factory(t, clock, { continueExceeding: true }), /not supported/)
    await t.rejects(factory(t, clock, { exponentialBackoff: true }), /not supported/)
    const store = await factory(t, clock)
    t.throws(() => store.child({ continueExceeding: true }), /not supported/)
  })
}
