// Sockets live no longer than their session: logout, idle expiry, absolute expiry, removal of the
// user and a new login over the old cookie each close the session's sockets with 4401
// 'session_ended', and afterwards the old cookie opens nothing (401). Time is the test clock.
import t, { type Test } from 'tap'
import { openAuthorised, waitUntil } from '../helpers/hero-client.js'
import { postForm, postLogin } from '../helpers/http.js'
import { assertNoSocketOutlivedLogout, raceLogoutWithHandshakes } from '../helpers/logout-race.js'
import { assertRefused } from '../helpers/gate-refusals.js'
import { upgradeRequest } from '../helpers/raw-handshake.js'
import { FileUsersStore } from '../../src/accounts/file-users-store.js'
import type { UsersStore } from '../../src/accounts/users-store.js'
import { MemorySessionStore } from '../../src/stores/sessions/memory-session-store.js'
import type { Session } from '../../src/stores/sessions/session-store.js'
import { hashFor, startTestServer, type TestServer } from '../helpers/test-server.js'

const SESSION_ENDED = { code: 4401, reason: 'session_ended' }

/** The old cookie is refused at the gate as session_invalid, and nothing gets through. */
async function assertCookieDead (t: Test, server: TestServer, sid: string): Promise<void> {
  await waitUntil(() => server.app.websocket.connections.size === 0, 'the server to forget the sockets')
  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid }),
    { status: 401, reason: 'session_invalid', secrets: [sid] },
    'the old cookie afterwards'
  )
}

/** The ws_session_ended log entries' reasons. */
function endReasons (server: TestServer): unknown[] {
  return server.logs.entries().filter((e) => e.event === 'ws_session_ended').map((e) => e.reason)
}

t.test('logout closes every socket of that session with 4401, and only of that session', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const otherSid = await server.login()
  const first = await openAuthorised(t, server, sid)
  const second = await openAuthorised(t, server, sid)
  const other = await openAuthorised(t, server, otherSid)
  const res = await postForm(server, '/logout', {}, { cookie: `__Host-sid=${sid}` })
  t.equal(res.status, 303)
  t.same(await first.closed(), SESSION_ENDED, 'first socket: 4401 session_ended')
  t.same(await second.closed(), SESSION_ENDED, 'second socket: 4401 session_ended')
  t.match(
    await other.request({ type: 'get_name', hero: 'hulk' }),
    { type: 'name' },
    'the other session\'s socket still works'
  )
  t.same(endReasons(server), ['logout', 'logout'])
  other.ws.close()
  await other.closed()
  await assertCookieDead(t, server, sid)
  t.notOk(server.logs.text.includes(otherSid), 'no session id in the logs')
})

t.test('idle expiry: the sweep closes the socket', async (t) => {
  const server = await startTestServer(t, { SESSION_IDLE_TIMEOUT_S: '60', SESSION_ABSOLUTE_TIMEOUT_S: '3600' })
  const sid = await server.login()
  const client = await openAuthorised(t, server, sid)
  server.clock.advance(59_999)
  await server.sweepSessions()
  t.match(await client.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' }, 'not yet at 59.999 s')
  server.clock.advance(60_000)
  await server.sweepSessions()
  t.same(await client.closed(), SESSION_ENDED, '60 s after the last message: 4401')
  t.same(endReasons(server), ['idle_timeout'])
  await assertCookieDead(t, server, sid)
})

t.test('idle expiry without a sweep: the next message notices and closes', async (t) => {
  const server = await startTestServer(t, { SESSION_IDLE_TIMEOUT_S: '60', SESSION_ABSOLUTE_TIMEOUT_S: '3600' })
  const sid = await server.login()
  const client = await openAuthorised(t, server, sid)
  server.clock.advance(60_000)
  client.send({ type: 'get_name', hero: 'hulk' })
  t.same(await client.closed(), SESSION_ENDED)
  await assertCookieDead(t, server, sid)
})

t.test('messages on the socket keep the session alive, until the absolute timeout', async (t) => {
  const server = await startTestServer(t, { SESSION_IDLE_TIMEOUT_S: '60', SESSION_ABSOLUTE_TIMEOUT_S: '120' })
  const sid = await server.login()
  const client = await openAuthorised(t, server, sid)
  for (let at = 50; at <= 100; at += 50) {
    server.clock.advance(50_000)
    await server.sweepSessions()
    t.match(
      await client.request({ type: 'get_name', hero: 'hulk' }),
      { type: 'name' },
      `${at} s: alive (idle 60 s, but the socket was used)`
    )
  }
  server.clock.advance(19_999)
  await server.sweepSessions()
  t.match(await client.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' }, '119.999 s: alive')
  server.clock.advance(1)
  await server.sweepSessions()
  t.same(await client.closed(), SESSION_ENDED, '120 s after login: 4401 though active')
  t.same(endReasons(server), ['absolute_timeout'])
  await assertCookieDead(t, server, sid)
})

t.test('removing the user closes the sockets of all the user\'s sessions', async (t) => {
  const server = await startTestServer(t)
  const sids = [await server.login(), await server.login()]
  const clients = [await openAuthorised(t, server, sids[0] ?? ''), await openAuthorised(t, server, sids[1] ?? '')]
  t.ok(await server.users.remove('alice'))
  for (const client of clients) {
    t.same(await client.closed(), { code: 4410, reason: 'account_removed' }, '4410: the page can say why')
  }
  t.same(endReasons(server), ['user_removed', 'user_removed'])
  for (const sid of sids) await assertCookieDead(t, server, sid)
  t.equal((await postLogin(server)).status, 401, 'and the user cannot log in again')
})

t.test('a new login over the old cookie replaces the session and closes its sockets', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const client = await openAuthorised(t, server, sid)
  const res = await postLogin(server, undefined, undefined, { cookie: `__Host-sid=${sid}` })
  t.equal(res.status, 303)
  t.same(await client.closed(), SESSION_ENDED)
  t.same(endReasons(server), ['replaced'])
  await assertCookieDead(t, server, sid)
})

/** The users file, but account changes are never announced (an event lost, as across an outage). */
function silent (store: UsersStore): UsersStore {
  return {
    get: async (username) => await store.get(username),
    list: async () => await store.list(),
    put: async (record) => { await store.put(record) },
    remove: async (username) => await store.remove(username),
    rehash: async (username, expected, hash) => await store.rehash(username, expected, hash),
    changePassword: async (username, expected, hash, setAt) =>
      await store.changePassword(username, expected, hash, setAt),
    setDisabled: async (username, disabled) => await store.setDisabled(username, disabled),
    refresh: async () => { await store.refresh() },
    onRemoved: () => () => {},
    onPasswordChanged: () => () => {},
    onDisabled: () => () => {},
    onReloadError: (listener) => store.onReloadError(listener),
    close: async () => { await store.close() }
  }
}

t.test('an account change the service never heard of is found by the re-check and closes the sockets', async (t) => {
  const probe = await startTestServer(t)
  const users = silent(await FileUsersStore.open(probe.usersFile))
  const server = await startTestServer(t, { SESSION_RECHECK_INTERVAL_MS: '200' }, { usersFile: probe.usersFile, users })
  const sid = await server.login()
  const client = await openAuthorised(t, server, sid)
  await users.put({ username: 'alice', hash: await hashFor('a new password'), passwordSetAt: Date.now() })
  t.same(await client.closed(), SESSION_ENDED, 'closed with 4401')
  t.same(
    server.logs.entries().filter((e) => e.event === 'ws_session_ended').map((e) => [e.reason, e.source]),
    [['password_changed', 'recheck']],
    'by the re-check, as password_changed'
  )
  await assertCookieDead(t, server, sid)
})

t.test('a logout racing many handshakes: every socket that opens is closed with 4401 at once, ' +
  'none stays open', async (t) => {
  // The periodic re-check (an hour here) is not what closes them. The memory store answers the gate
  // within one turn of the event loop, so the window this guards is the shared store's
  // (test/scenarios/cluster/revocation.test.ts); the rule is the same for both.
  const server = await startTestServer(t, {
    WS_HANDSHAKE_BURST: '1000',
    WS_REFUSED_HANDSHAKE_BURST: '1000',
    WS_MAX_CONNECTIONS_PER_IP: '1000',
    WS_MAX_CONNECTIONS_PER_USER: '1000',
    SESSION_RECHECK_INTERVAL_MS: '3600000'
  })
  for (let round = 1; round <= 3; round++) {
    const race = await raceLogoutWithHandshakes(server, server, 80, 5000)
    assertNoSocketOutlivedLogout(t, race, 2000, `round ${round}`)
    await waitUntil(() => server.app.websocket.connections.size === 0, 'the server to forget the sockets')
  }
})

/** A memory store whose next get() is held, once armed, until the test lets it answer. */
class HeldSessionStore extends MemorySessionStore {
  #held: { entered: () => void, until: Promise<void> } | undefined

  /** Holds the next get() after it has read the session; resolves `entered` when it is held. */
  holdNextGet (): { entered: Promise<void>, release: () => void } {
    let release = (): void => {}
    const until = new Promise<void>((resolve) => { release = resolve })
    const entered = new Promise<void>((resolve) => { this.#held = { entered: resolve, until } })
    return { entered, release }
  }

  override async get (id: string): Promise<Session | undefined> {
    const session = await super.get(id)
    const held = this.#held
    this.#held = undefined
    if (held !== undefined) {
      held.entered()
      await held.until
    }
    return session
  }
}

t.test('a session that ends while the gate asks the store for it opens no socket (401), ' +
  'whatever the store\'s speed', async (t) => {
  // The window, made for certain: the gate's lookup has read the live session and is held there;
  // the logout ends it meanwhile; then the lookup answers. Without the gate's watch the socket
  // opened after its session's end, and only the periodic re-check (an hour here) would close it.
  const sessions = new HeldSessionStore({ idleTimeoutMs: 30 * 60_000, absoluteTimeoutMs: 12 * 3600_000 })
  const server = await startTestServer(t, { SESSION_RECHECK_INTERVAL_MS: '3600000' }, { sessions })
  const sid = await server.login()
  const held = sessions.holdNextGet()
  const refused = assertRefused(
    t,
    server,
    upgradeRequest(server, { sid }),
    { status: 401, reason: 'session_invalid', secrets: [sid] },
    'the handshake whose session ended in the gate'
  )
  await held.entered
  const logout = await postForm(server, '/logout', {}, { cookie: `__Host-sid=${sid}` })
  t.equal(logout.status, 303, 'the logout ends the session while the gate waits for the store')
  held.release()
  await refused
  t.match(
    server.logs.entries().filter((e) => e.event === 'ws_rejected').at(-1),
    { reason: 'session_invalid', detail: 'the session ended during the handshake' },
    'refused for that reason'
  )
  t.equal(server.app.websocket.connections.size, 0, 'no socket is registered')
  t.notOk(server.logs.entries().some((e) => e.event === 'ws_open'), 'none was ever opened')
})
