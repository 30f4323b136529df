// Logins while the password checks are queued to their limit: the refused one gets 503
// login_busy with Retry-After and no session, the one that got its turn logs in. Closing the app
// ends its hashing child process.
import t from 'tap'
import { HTTP_ERRORS } from '../src/errors.js'
import { postLogin, SESSION_SET_COOKIE, setCookies } from './helpers/http.js'
import { isGone, waitUntilGone } from './helpers/processes.js'
import { startTestServer, TEST_USER } from './helpers/test-server.js'

t.test('two logins at once with room for one check: one logs in, the other gets 503 login_busy', async (t) => {
  const server = await startTestServer(t, {}, { hashing: { concurrency: 1, maxQueued: 0 } })
  const responses = await Promise.all([postLogin(server), postLogin(server)])
  t.same(responses.map((res) => res.status).sort(), [303, 503], 'one 303, one 503')
  const loggedIn = responses.find((res) => res.status === 303)
  const busy = responses.find((res) => res.status === 503)
  if (loggedIn === undefined || busy === undefined) return

  const cookies = setCookies(loggedIn)
  t.equal(cookies.length, 1, 'the login that got its turn sets one cookie')
  const sid = SESSION_SET_COOKIE.exec(cookies[0] ?? '')?.[1]
  t.ok(sid !== undefined, '__Host-sid with the fixed attributes')
  t.equal(loggedIn.headers.get('location'), '/', 'to the hero page')

  t.equal(busy.headers.get('retry-after'), '2', 'Retry-After: 2')
  t.same(setCookies(busy), [], 'no Set-Cookie on the refused login')
  t.equal(busy.headers.get('location'), null, 'no redirect')
  t.match(busy.headers.get('content-type'), /^text\/html/, 'the login page')
  t.equal(busy.headers.get('cache-control'), 'no-store', 'not cached')
  t.match(await busy.text(), HTTP_ERRORS.login_busy.message, 'with the login_busy message')

  t.equal(server.sessions.size, 1, 'one session in the store')
  t.match(await server.sessions.get(sid ?? ''), { username: TEST_USER.username }, 'and it is the cookie\'s')

  const refusals = server.logs.entries().filter((entry) => entry.event === 'request_refused')
  t.equal(refusals.length, 1, 'one refusal logged')
  t.match(refusals[0], { code: 'login_busy', level: 40 }, 'as a warning with code login_busy')
  t.equal(server.logs.entries().filter((entry) => entry.event === 'login_succeeded').length, 1, 'one login logged')
  t.notMatch(server.logs.text, TEST_USER.password, 'no password in the logs')
  if (sid !== undefined) t.notMatch(server.logs.text, sid, 'no session id in the logs')
})

t.test('closing the app ends its hashing child process', async (t) => {
  let pid: number | undefined
  await t.test('a server that has checked a password', async (t) => {
    const server = await startTestServer(t)
    t.equal((await postLogin(server)).status, 303, 'a login ran argon2 in the child')
    pid = server.app.hasher.hashingProcess?.pid
    t.ok(pid !== undefined && !isGone(pid), `its hashing child ${String(pid)} runs`)
  })
  // The subtest's teardown has closed the app (startTestServer registers app.close()).
  if (pid === undefined) return
  t.ok(await waitUntilGone(pid), 'after app.close() the hashing child is gone')
  t.throws(() => process.kill(pid ?? 0, 0), { code: 'ESRCH' }, 'kill(pid, 0): ESRCH')
})
