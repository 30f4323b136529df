// MemorySessionStore on its own, with a hand-moved clock: id shape, hashed keys, expiry order,
// the sweep, per-user ends and listeners.
import t from 'tap'
import { createHash } from 'node:crypto'
import { isSessionIdShape, MemorySessionStore, type SessionEnd } from '../src/session-store.js'
import { TestClock } from './helpers/test-server.js'

function storeWithClock (idleTimeoutMs = 1000, absoluteTimeoutMs = 5000): { store: MemorySessionStore, clock: TestClock, ends: SessionEnd[] } {
  const clock = new TestClock()
  const store = new MemorySessionStore({ idleTimeoutMs, absoluteTimeoutMs }, { now: clock.read, sweepIntervalMs: 0 })
  const ends: SessionEnd[] = []
  store.onEnd((end) => ends.push(end))
  return { store, clock, ends }
}

t.test('ids are 43 base64url characters, unique, and only their SHA-256 is kept', async (t) => {
  const { store, clock } = storeWithClock()
  t.teardown(() => store.close())
  const ids = new Set<string>()
  for (let i = 0; i < 50; i++) {
    const { id, session } = await store.create('alice')
    t.ok(isSessionIdShape(id))
    t.equal(Buffer.from(id, 'base64url').length, 32, '256 random bits')
    t.equal(session.key, createHash('sha256').update(id).digest('hex'))
    t.not(session.key, id)
    t.equal(session.createdAt, clock.now)
    ids.add(id)
  }
  t.equal(ids.size, 50)
  t.equal(store.size, 50)
})

t.test('get answers a copy; unknown and malformed ids answer undefined', async (t) => {
  const { store } = storeWithClock()
  t.teardown(() => store.close())
  const { id } = await store.create('alice')
  const copy = await store.get(id) as { username: string }
  copy.username = 'mallory'
  t.equal((await store.get(id))?.username, 'alice', 'changing the answer does not change the session')
  t.equal(await store.get('A'.repeat(43)), undefined)
  t.equal(await store.get(''), undefined)
  t.equal(await store.get(id + 'x'), undefined)
  t.equal(await store.get(createHash('sha256').update(id).digest('hex')), undefined, 'the key is not a usable id')
})

t.test('idle expiry, reset by touch', async (t) => {
  const { store, clock, ends } = storeWithClock(1000, 5000)
  t.teardown(() => store.close())
  const { id } = await store.create('alice')
  clock.advance(999)
  await store.touch(id)
  clock.advance(999)
  t.ok(await store.get(id), 'touched 999 ms ago: alive')
  t.equal((await store.get(id))?.lastSeenAt, clock.now - 999)
  clock.advance(1)
  t.equal(await store.get(id), undefined, 'exactly the idle timeout: ended')
  t.same(ends.map((e) => e.reason), ['idle_timeout'])
  await store.touch(id)
  t.equal(await store.get(id), undefined, 'touch does not revive it')
  t.equal(ends.length, 1, 'ended once')
})

t.test('absolute expiry wins over idle, even for a session touched a moment ago', async (t) => {
  const { store, clock, ends } = storeWithClock(1000, 3000)
  t.teardown(() => store.close())
  const { id } = await store.create('alice')
  for (let i = 0; i < 5; i++) {
    clock.advance(500)
    await store.touch(id)
  }
  clock.advance(499)
  t.ok(await store.get(id), '2999 ms: alive')
  clock.advance(1)
  t.equal(await store.get(id), undefined, '3000 ms: ended')
  t.same(ends.map((e) => e.reason), ['absolute_timeout'])
})

t.test('sweep ends what expired, reporting each reason once', async (t) => {
  const { store, clock, ends } = storeWithClock(1000, 1500)
  t.teardown(() => store.close())
  const a = await store.create('alice')
  const b = await store.create('bob')
  clock.advance(800)
  await store.touch(b.id)
  const c = await store.create('carol')
  clock.advance(300)
  store.sweep()
  t.same(ends.map((e) => [e.session.username, e.reason]), [['alice', 'idle_timeout']])
  clock.advance(400)
  store.sweep()
  t.same(ends.map((e) => [e.session.username, e.reason]), [['alice', 'idle_timeout'], ['bob', 'absolute_timeout']])
  store.sweep()
  t.equal(ends.length, 2, 'a second sweep reports nothing new')
  t.equal(store.size, 1)
  t.ok(await store.get(c.id))
  t.equal(await store.get(a.id), undefined)
})

t.test('destroy and destroyUser end sessions with the given reason', async (t) => {
  const { store, ends } = storeWithClock()
  t.teardown(() => store.close())
  const a1 = await store.create('alice')
  const a2 = await store.create('alice')
  const b = await store.create('bob')
  await store.destroy(a1.id, 'logout')
  await store.destroy(a1.id, 'logout')
  await store.destroy('not an id', 'logout')
  t.same(ends.map((e) => e.reason), ['logout'], 'once, and unknown ids are a no-op')
  t.equal(await store.destroyUser('alice', 'user_removed'), 1)
  t.equal(await store.destroyUser('nobody', 'user_removed'), 0)
  t.equal(await store.get(a2.id), undefined)
  t.ok(await store.get(b.id), 'other users keep their sessions')
  t.same(ends.map((e) => e.reason), ['logout', 'user_removed'])
})

t.test('unsubscribe and close stop listeners', async (t) => {
  const { store } = storeWithClock()
  const seen: string[] = []
  const off = store.onEnd((end) => seen.push(end.reason))
  const a = await store.create('alice')
  off()
  await store.destroy(a.id, 'logout')
  t.same(seen, [])
  store.onEnd((end) => seen.push(end.reason))
  await store.close()
  const b = await store.create('alice')
  await store.destroy(b.id, 'logout')
  t.same(seen, [], 'no listener after close')
})
