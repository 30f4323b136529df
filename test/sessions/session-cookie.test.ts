// The session cookie's rules: the fixed __Host- attributes, exactly one __Host-sid in a Cookie
// header (none or two name no session: cookie tossing), a session only for a live one.
import t from 'tap'
import { MemorySessionStore } from '../../src/stores/sessions/memory-session-store.js'
import {
  hasSessionCookie,
  SESSION_COOKIE,
  SESSION_COOKIE_OPTIONS,
  sessionFromCookie,
  sessionIdFromCookieHeader
} from '../../src/sessions/session-cookie.js'
import { TestClock } from '../helpers/test-server.js'

t.test('__Host-sid with Path=/, Secure, HttpOnly, SameSite=Strict and no Max-Age, Expires or Domain', async (t) => {
  t.equal(SESSION_COOKIE, '__Host-sid')
  t.same(SESSION_COOKIE_OPTIONS, { path: '/', secure: true, httpOnly: true, sameSite: 'strict' })
  t.ok(Object.isFrozen(SESSION_COOKIE_OPTIONS), 'frozen: no caller can loosen it')
})

t.test('a Cookie header names a session only with exactly one __Host-sid', async (t) => {
  t.equal(sessionIdFromCookieHeader('__Host-sid=abc'), 'abc')
  t.equal(sessionIdFromCookieHeader('theme=dark; __Host-sid=abc;  lang=en'), 'abc', 'among other cookies')
  t.equal(sessionIdFromCookieHeader(undefined), undefined, 'no header')
  t.equal(sessionIdFromCookieHeader(''), undefined, 'an empty header')
  t.equal(sessionIdFromCookieHeader('sid=abc; Host-sid=abc; __host-sid=abc'), undefined, 'other names, however close')
  t.equal(sessionIdFromCookieHeader('__Host-sid=abc; __Host-sid=def'), undefined, 'two of them: refused, not the first')
  t.equal(sessionIdFromCookieHeader('__Host-sid=abc; __Host-sid=abc'), undefined, 'two equal ones too')
  t.equal(sessionIdFromCookieHeader('x__Host-sid=abc'), undefined, 'a name that only ends like it')
})

t.test('hasSessionCookie sees any session cookie, live, malformed or duplicated', async (t) => {
  t.ok(hasSessionCookie('__Host-sid=abc'))
  t.ok(hasSessionCookie('__Host-sid=a; __Host-sid=b'))
  t.ok(hasSessionCookie('__Host-sid='))
  t.notOk(hasSessionCookie('sid=abc'))
  t.notOk(hasSessionCookie(undefined))
})

t.test('sessionFromCookie: the live session a single cookie names, else nothing', async (t) => {
  const clock = new TestClock()
  const store = new MemorySessionStore({ idleTimeoutMs: 60_000, absoluteTimeoutMs: 600_000 }, {
    now: clock.read,
    sweepIntervalMs: 0
  })
  t.teardown(() => store.close())
  const { id, session } = await store.create('alice', 'tag')
  t.match(
    await sessionFromCookie(store, `__Host-sid=${id}`),
    { id, session: { key: session.key, username: 'alice' } },
    'the live session, with its id'
  )
  t.equal(
    await sessionFromCookie(store, `__Host-sid=${id}; __Host-sid=${id}`),
    undefined,
    'not through a duplicated cookie'
  )
  t.equal(await sessionFromCookie(store, '__Host-sid=' + 'A'.repeat(43)), undefined, 'not a made-up id')
  t.equal(await sessionFromCookie(store, undefined), undefined, 'not without a cookie')
  clock.advance(60_001)
  t.equal(await sessionFromCookie(store, `__Host-sid=${id}`), undefined, 'not once it expired')
})
