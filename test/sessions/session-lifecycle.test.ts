// Sessions over the real server: a new id at every login, logout and replay, idle and absolute
// expiry on the injected clock (no sleeping), the sweep, and removal of the user (through the
// store and through the users CLI, which the server notices through its file watcher).
import t, { type Test } from 'tap'
import {
  builtFile,
  getWithSession,
  nextSessionEnd,
  postForm,
  postLogin,
  recordSessionEnds,
  runNode,
  SESSION_SET_COOKIE,
  sessionCount,
  setCookies
} from '../helpers/http.js'
import { hashFor, startTestServer, TEST_USER } from '../helpers/test-server.js'

const SHORT = { SESSION_IDLE_TIMEOUT_S: '60', SESSION_ABSOLUTE_TIMEOUT_S: '300' }

/** Asserts that `sid` no longer opens the hero page. */
async function assertRefused (
  t: Test,
  server: Awaited<ReturnType<typeof startTestServer>>,
  sid: string,
  why: string
): Promise<void> {
  const res = await getWithSession(server, '/', sid)
  t.equal(res.status, 303, `${why}: GET / is refused`)
  t.equal(res.headers.get('location'), '/login?notice=session_ended', `${why}: sent to the login page with a notice`)
  t.notMatch(await res.text(), 'Heroes')
}

t.test('every login gets a new session id', async (t) => {
  const server = await startTestServer(t)
  const ids = new Set<string>()
  for (let i = 0; i < 4; i++) ids.add(await server.login())
  t.equal(ids.size, 4, 'four logins, four ids')
  t.equal(await sessionCount(server), 4, 'logins without a cookie do not end other sessions')
})

t.test('a session cookie sent along with a login is destroyed, never promoted', async (t) => {
  const server = await startTestServer(t)
  const ends = recordSessionEnds(server)
  const first = await server.login()
  const res = await postLogin(server, undefined, undefined, { cookie: `__Host-sid=${first}` })
  t.equal(res.status, 303)
  const second = SESSION_SET_COOKIE.exec(setCookies(res)[0] ?? '')?.[1]
  t.ok(second !== undefined && second !== first, 'a different id')
  t.equal(await sessionCount(server), 1, 'only the new session is live')
  t.same(ends.map((e) => e.reason), ['replaced'])
  await assertRefused(t, server, first, 'the previous cookie')
  t.equal((await getWithSession(server, '/', second)).status, 200, 'the new cookie opens /')
})

t.test('a failed login leaves the current session alone', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const res = await postLogin(server, TEST_USER.username, 'wrong password', { cookie: `__Host-sid=${sid}` })
  t.equal(res.status, 401)
  t.same(setCookies(res), [])
  t.equal((await getWithSession(server, '/', sid)).status, 200)
})

t.test('logout ends the session server-side and clears the cookie', async (t) => {
  const server = await startTestServer(t)
  const ends = recordSessionEnds(server)
  const sid = await server.login()
  const res = await postForm(server, '/logout', {}, { cookie: `__Host-sid=${sid}` })
  t.equal(res.status, 303)
  t.equal(res.headers.get('location'), '/login?notice=logged_out')
  const cookies = setCookies(res)
  t.equal(cookies.length, 1)
  t.match(cookies[0], /^__Host-sid=; /, 'the cookie is emptied')
  t.match(cookies[0], /Max-Age=0|Expires=Thu, 01 Jan 1970/, 'and expired')
  t.match(cookies[0], /Path=\/; .*HttpOnly; Secure; SameSite=Strict/)
  t.equal(await sessionCount(server), 0)
  t.same(ends.map((e) => e.reason), ['logout'])
  await assertRefused(t, server, sid, 'the replayed cookie')
  t.equal(await sessionCount(server), 0)

  const again = await postForm(server, '/logout', {}, { cookie: `__Host-sid=${sid}` })
  t.equal(again.status, 303, 'logging out again is harmless')
  t.equal(ends.length, 1, 'and ends nothing more')
})

t.test('idle timeout: a session unused for SESSION_IDLE_TIMEOUT_S ends', async (t) => {
  const server = await startTestServer(t, SHORT)
  const ends = recordSessionEnds(server)
  const sid = await server.login()
  server.clock.advance(59_000)
  t.equal((await getWithSession(server, '/', sid)).status, 200, 'used just before the idle timeout: alive')
  server.clock.advance(59_000)
  t.equal((await getWithSession(server, '/', sid)).status, 200, 'the visit reset the idle timer')
  server.clock.advance(60_000)
  await assertRefused(t, server, sid, 'idle for 60 s')
  t.same(ends.map((e) => e.reason), ['idle_timeout'])
  t.equal(ends[0]?.session.username, TEST_USER.username)
  t.equal(await sessionCount(server), 0)
})

t.test('absolute timeout: a session in constant use ends SESSION_ABSOLUTE_TIMEOUT_S after login', async (t) => {
  const server = await startTestServer(t, SHORT)
  const ends = recordSessionEnds(server)
  const sid = await server.login()
  for (let elapsed = 50; elapsed < 300; elapsed += 50) {
    server.clock.advance(50_000)
    t.equal((await getWithSession(server, '/', sid)).status, 200, `alive at ${elapsed} s`)
  }
  server.clock.advance(50_000)
  await assertRefused(t, server, sid, 'at 300 s')
  t.same(ends.map((e) => e.reason), ['absolute_timeout'])
})

t.test('the sweep ends expired sessions nobody touches', async (t) => {
  const server = await startTestServer(t, SHORT)
  const ends = recordSessionEnds(server)
  await server.login()
  await server.login()
  server.clock.advance(30_000)
  const fresh = await server.login()
  server.clock.advance(30_000)
  await server.sweepSessions()
  t.same(ends.map((e) => e.reason), ['idle_timeout', 'idle_timeout'], 'the two idle sessions ended without a request')
  t.equal(await sessionCount(server), 1, 'the fresh one is still live')
  server.clock.advance(60_000)
  await server.sweepSessions()
  t.equal(await sessionCount(server), 0)
  t.equal(ends.length, 3)
  await assertRefused(t, server, fresh, 'after the sweep')
})

t.test('removing the user ends their sessions (store API)', async (t) => {
  const server = await startTestServer(t)
  const ends = recordSessionEnds(server)
  const sids = [await server.login(), await server.login()]
  t.equal(await server.users.remove(TEST_USER.username), true)
  t.same(ends.map((e) => e.reason), ['user_removed', 'user_removed'])
  t.equal(await sessionCount(server), 0)
  for (const sid of sids) await assertRefused(t, server, sid, 'after removal')
  const res = await postLogin(server)
  t.equal(res.status, 401, 'the removed user can no longer log in')
  t.same(setCookies(res), [])
})

t.test('removing the user with the users CLI ends their sessions (file watcher)', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const ended = nextSessionEnd(server, 10_000)
  const cli = await runNode(builtFile('dist/src/cli/users-cli.js'), ['remove', TEST_USER.username], {
    USERS_FILE: server.usersFile
  })
  t.equal(cli.code, 0, cli.stderr)
  const end = await ended
  t.equal(end.reason, 'user_removed')
  t.equal(end.session.username, TEST_USER.username)
  await assertRefused(t, server, sid, 'after the CLI removed the user')
  t.equal((await postLogin(server)).status, 401)
  t.equal(await sessionCount(server), 0)
})

t.test('changing the password ends the user\'s sessions (store API), and only the new one logs in', async (t) => {
  const server = await startTestServer(t)
  const ends = recordSessionEnds(server)
  const sid = await server.login()
  await server.users.put({ username: TEST_USER.username, hash: await hashFor('a brand new password') })
  t.same(ends.map((e) => e.reason), ['password_changed'])
  await assertRefused(t, server, sid, 'after the password change')
  t.equal((await postLogin(server)).status, 401, 'the old password no longer works')
  t.equal((await postLogin(server, TEST_USER.username, 'a brand new password')).status, 303, 'the new one does')
})

t.test('changing the password with the users CLI ends the user\'s sessions (file watcher)', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const ended = nextSessionEnd(server, 10_000)
  const cli = await runNode(
    builtFile('dist/src/cli/users-cli.js'),
    ['add', TEST_USER.username],
    { USERS_FILE: server.usersFile },
    'another new password\n'
  )
  t.equal(cli.code, 0, cli.stderr)
  t.equal((await ended).reason, 'password_changed')
  await assertRefused(t, server, sid, 'after the CLI changed the password')
})
