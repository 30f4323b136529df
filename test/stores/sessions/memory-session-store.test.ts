// MemorySessionStore: the session-store contract, then what is its own: the sweep that ends
// expired sessions nobody asks about, and close().
import t from 'tap'
import { MemorySessionStore } from '../../../src/stores/sessions/memory-session-store.js'
import type { SessionEnd } from '../../../src/stores/sessions/session-store.js'
import { TestClock } from '../../helpers/test-server.js'
import { sessionStoreContract } from './store-contract.js'

t.test('the session-store contract', async (t) => {
  sessionStoreContract(t, async (t, timeouts, clock) => {
    const store = new MemorySessionStore(timeouts, { now: clock.read, sweepIntervalMs: 0 })
    t.teardown(() => store.close())
    return store
  })
})

function storeWithClock (idleTimeoutMs: number, absoluteTimeoutMs: number): {
  store: MemorySessionStore,
  clock: TestClock,
  ends: SessionEnd[]
} {
  const clock = new TestClock()
  const store = new MemorySessionStore({ idleTimeoutMs, absoluteTimeoutMs }, { now: clock.read, sweepIntervalMs: 0 })
  const ends: SessionEnd[] = []
  store.onEnd((end) => ends.push(end))
  return { store, clock, ends }
}

t.test('sweep ends what expired, reporting each reason once', async (t) => {
  const { store, clock, ends } = storeWithClock(1000, 1500)
  t.teardown(() => store.close())
  const a = await store.create('alice', 'c'.repeat(32))
  const b = await store.create('bob', 'c'.repeat(32))
  clock.advance(800)
  await store.touch(b.id)
  const c = await store.create('carol', 'c'.repeat(32))
  clock.advance(300)
  store.sweep()
  t.same(ends.map((e) => [e.session.username, e.reason]), [['alice', 'idle_timeout']])
  clock.advance(400)
  store.sweep()
  t.same(ends.map((e) => [e.session.username, e.reason]), [['alice', 'idle_timeout'], ['bob', 'absolute_timeout']])
  store.sweep()
  t.equal(ends.length, 2, 'a second sweep reports nothing new')
  t.same(
    await store.filterLive([a.session.key, b.session.key, c.session.key]),
    new Set([c.session.key]),
    'only carol\'s is left'
  )
  t.ok(await store.get(c.id))
  t.equal(await store.get(a.id), undefined)
})

t.test('the sweep timer runs by itself every sweepIntervalMs', async (t) => {
  const clock = new TestClock()
  const store = new MemorySessionStore(
    { idleTimeoutMs: 1000, absoluteTimeoutMs: 5000 },
    { now: clock.read, sweepIntervalMs: 10 }
  )
  t.teardown(() => store.close())
  // The sweep timer does not keep the process alive (unref); this timer does, and bounds the wait.
  let timer: NodeJS.Timeout | undefined
  const ended = new Promise<SessionEnd>((resolve, reject) => {
    store.onEnd(resolve)
    timer = setTimeout(() => reject(new Error('no sweep within 5 s')), 5000)
  })
  await store.create('alice', 'c'.repeat(32))
  clock.advance(1000)
  t.match(
    await ended.finally(() => clearTimeout(timer)),
    { reason: 'idle_timeout', session: { username: 'alice' } },
    'ended without a request'
  )
})

t.test('close stops the listeners', async (t) => {
  const { store } = storeWithClock(1000, 5000)
  const seen: string[] = []
  store.onEnd((end) => seen.push(end.reason))
  await store.close()
  const b = await store.create('alice', 'c'.repeat(32))
  await store.destroy(b.id, 'logout')
  t.same(seen, [], 'no listener after close')
})
