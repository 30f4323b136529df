// The contract every SessionStore keeps (src/stores/sessions/session-store.ts), as one suite that each
// implementation's test runs with its own factory. Time is the test's clock, moved by hand.
import { createHash } from 'node:crypto'
import type { Test } from 'tap'
import type { SessionTimeouts } from '../../../src/stores/sessions/session-expiry.js'
import { isSessionIdShape } from '../../../src/stores/sessions/session-ids.js'
import type { SessionEnd, SessionStore } from '../../../src/stores/sessions/session-store.js'
import { TestClock } from '../../helpers/test-server.js'

/**
 * Makes a fresh, empty store with `timeouts` on `clock`, and registers its teardown on `t`.
 * Ends caused through the store must reach its onEnd listeners by the time the call resolves,
 * or within `settleMs` when the store learns of them asynchronously.
 */
export type SessionStoreFactory = (t: Test, timeouts: SessionTimeouts, clock: TestClock) => Promise<SessionStore>

interface Fixture { store: SessionStore, clock: TestClock, ends: SessionEnd[] }

/** A credential tag, as accounts/users-store.ts makes them. */
const CREDENTIAL = '0123456789abcdef0123456789abcdef'

/** Registers the contract's tests on `t` for the store `factory` makes. */
export function sessionStoreContract (t: Test, factory: SessionStoreFactory, settleMs = 0): void {
  const fixture = async (t: Test, idleTimeoutMs = 1000, absoluteTimeoutMs = 5000): Promise<Fixture> => {
    const clock = new TestClock()
    const store = await factory(t, { idleTimeoutMs, absoluteTimeoutMs }, clock)
    const ends: SessionEnd[] = []
    store.onEnd((end) => ends.push(end))
    return { store, clock, ends }
  }
  const settled = async (): Promise<void> => {
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs))
  }

  t.test('create: a 256-bit base64url id, unique, of which only the SHA-256 is kept', async (t) => {
    const { store, clock } = await fixture(t)
    const ids = new Set<string>()
    for (let i = 0; i < 50; i++) {
      const { id, session } = await store.create('alice', CREDENTIAL)
      t.ok(isSessionIdShape(id))
      t.equal(Buffer.from(id, 'base64url').length, 32, '256 random bits')
      t.equal(session.key, createHash('sha256').update(id).digest('hex'))
      t.not(session.key, id)
      t.match(session, { username: 'alice', credential: CREDENTIAL, createdAt: clock.now, lastSeenAt: clock.now })
      ids.add(id)
    }
    t.equal(ids.size, 50)
    t.equal((await store.listUser('alice')).length, 50)
  })

  t.test('get answers a copy; unknown, malformed and key-shaped ids answer undefined', async (t) => {
    const { store } = await fixture(t)
    const { id } = await store.create('alice', CREDENTIAL)
    const copy = await store.get(id) as { username: string }
    copy.username = 'mallory'
    t.equal((await store.get(id))?.username, 'alice', 'changing the answer does not change the session')
    t.equal((await store.get(id))?.credential, CREDENTIAL, 'the credential tag is kept')
    t.equal(await store.get('A'.repeat(43)), undefined)
    t.equal(await store.get(''), undefined)
    t.equal(await store.get(id + 'x'), undefined)
    t.equal(await store.get('__proto__'), undefined)
    t.equal(await store.get(createHash('sha256').update(id).digest('hex')), undefined, 'the key is not a usable id')
  })

  t.test('idle expiry, reset by touch; the end is reported once', async (t) => {
    const { store, clock, ends } = await fixture(t, 1000, 5000)
    const { id } = await store.create('alice', CREDENTIAL)
    clock.advance(999)
    await store.touch(id)
    clock.advance(999)
    t.ok(await store.get(id), 'touched 999 ms ago: alive')
    t.equal((await store.get(id))?.lastSeenAt, clock.now - 999)
    clock.advance(1)
    t.equal(await store.get(id), undefined, 'exactly the idle timeout: ended')
    await settled()
    t.same(ends.map((e) => [e.session.username, e.reason]), [['alice', 'idle_timeout']])
    await store.touch(id)
    t.equal(await store.get(id), undefined, 'touch does not revive it')
    await settled()
    t.equal(ends.length, 1, 'ended once')
  })

  t.test('absolute expiry wins over idle, even for a session touched a moment ago', async (t) => {
    const { store, clock, ends } = await fixture(t, 1000, 3000)
    const { id } = await store.create('alice', CREDENTIAL)
    for (let i = 0; i < 5; i++) {
      clock.advance(500)
      await store.touch(id)
    }
    clock.advance(499)
    t.ok(await store.get(id), '2999 ms: alive')
    clock.advance(1)
    t.equal(await store.get(id), undefined, '3000 ms: ended')
    await settled()
    t.same(ends.map((e) => e.reason), ['absolute_timeout'])
  })

  t.test('destroy and destroyUser end sessions with the given reason, once', async (t) => {
    const { store, ends } = await fixture(t)
    const a1 = await store.create('alice', CREDENTIAL)
    const a2 = await store.create('alice', CREDENTIAL)
    const b = await store.create('bob', CREDENTIAL)
    await store.destroy(a1.id, 'logout')
    await store.destroy(a1.id, 'logout')
    await store.destroy('not an id', 'logout')
    await settled()
    t.same(
      ends.map((e) => [e.session.key, e.reason]),
      [[a1.session.key, 'logout']],
      'once, and unknown ids are a no-op'
    )
    t.equal(await store.destroyUser('alice', 'user_removed'), 1)
    t.equal(await store.destroyUser('nobody', 'user_removed'), 0)
    t.equal(await store.get(a2.id), undefined)
    t.ok(await store.get(b.id), 'other users keep their sessions')
    await settled()
    t.same(ends.map((e) => e.reason), ['logout', 'user_removed'])
    t.same(ends.map((e) => e.session.username), ['alice', 'alice'])
    t.same(ends.map((e) => e.session.credential), [CREDENTIAL, CREDENTIAL], 'ends carry the session as it was')
    const c = await store.create('carol', CREDENTIAL)
    await store.destroyKey(c.session.key, 'session_limit')
    await store.destroyKey('f'.repeat(64), 'session_limit')
    await store.destroyKey('not a key', 'session_limit')
    await settled()
    t.same(
      ends.slice(2).map((e) => [e.session.username, e.reason]),
      [['carol', 'session_limit']],
      'destroyKey ends by key; unknown keys are a no-op'
    )
  })

  t.test('listUser: the live sessions of one user, oldest first', async (t) => {
    const { store, clock } = await fixture(t, 1000, 5000)
    const first = await store.create('alice', CREDENTIAL)
    clock.advance(10)
    const second = await store.create('alice', CREDENTIAL)
    clock.advance(10)
    const third = await store.create('alice', CREDENTIAL)
    await store.create('bob', CREDENTIAL)
    t.same(
      (await store.listUser('alice')).map((s) => s.key),
      [first.session.key, second.session.key, third.session.key]
    )
    await store.destroy(second.id, 'logout')
    t.same(
      (await store.listUser('alice')).map((s) => s.key),
      [first.session.key, third.session.key],
      'without the ended one'
    )
    clock.advance(985)
    await store.touch(third.id)
    clock.advance(10)
    t.same((await store.listUser('alice')).map((s) => s.key), [third.session.key], 'without the expired one')
    t.same(await store.listUser('nobody'), [])
    t.same(await store.listUser('__proto__'), [])
  })

  t.test('unsubscribe and close stop listeners', async (t) => {
    const { store } = await fixture(t)
    const seen: string[] = []
    const off = store.onEnd((end) => seen.push(end.reason))
    const a = await store.create('alice', CREDENTIAL)
    off()
    await store.destroy(a.id, 'logout')
    await settled()
    t.same(seen, [])
  })
}
