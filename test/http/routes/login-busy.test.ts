// The app's password hashing child process, seen through logins: while checks are queued to
// their limit the refused login gets 503 login_busy with Retry-After and no session, and the one
// that got its turn logs in; a child killed mid-login is logged and replaced, and the login still
// succeeds; closing the app ends the child.
import t from 'tap'
import { HTTP_ERRORS } from '../../../src/errors.js'
import { postLogin, SESSION_SET_COOKIE, sessionCount, setCookies } from '../../helpers/http.js'
import { isGone, waitUntilGone } from '../../helpers/processes.js'
import { startTestServer, TEST_USER } from '../../helpers/test-server.js'

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

  t.equal(await sessionCount(server), 1, 'one session in the store')
  t.match(await server.sessions.get(sid ?? ''), { username: TEST_USER.username }, 'and it is the cookie\'s')

  const refusals = server.logs.entries().filter((entry) => entry.event === 'request_refused')
  t.equal(refusals.length, 1, 'one refusal logged')
  t.match(refusals[0], { code: 'login_busy', level: 40 }, 'as a warning with code login_busy')
  t.equal(server.logs.entries().filter((entry) => entry.event === 'login_succeeded').length, 1, 'one login logged')
  t.notMatch(server.logs.text, TEST_USER.password, 'no password in the logs')
  if (sid !== undefined) t.notMatch(server.logs.text, sid, 'no session id in the logs')
})

t.test('a hashing child killed during a login is logged and replaced; the login succeeds', async (t) => {
  const server = await startTestServer(t, {}, { ownHashingProcess: true })
  const first = server.app.services.hasher.hashingProcess?.pid
  if (first === undefined) throw new Error('no hashing child')
  // Kill it while the check is in flight: just after the login's verify has sent it to the child
  // (an argon2 check takes tens of ms there).
  const hasher = server.app.services.hasher
  const verify = hasher.verify.bind(hasher)
  const verifying = new Promise<void>((resolve) => {
    hasher.verify = async (hash, password) => {
      const result = verify(hash, password)
      setImmediate(resolve)
      return await result
    }
  })
  const login = postLogin(server)
  await verifying
  // Stopped first, so its check cannot finish however fast it is; then killed.
  process.kill(first, 'SIGSTOP')
  process.kill(first, 'SIGKILL')
  const res = await login
  t.equal(res.status, 303, 'the login still succeeds (its check ran again on a new child)')
  t.ok(SESSION_SET_COOKIE.test(setCookies(res)[0] ?? ''), 'with a session cookie')
  const second = server.app.services.hasher.hashingProcess?.pid
  t.ok(second !== undefined && second !== first, `a new child (${String(second)}, was ${first})`)
  t.ok(await waitUntilGone(first), 'the killed child is gone')
  const exits = server.logs.entries().filter((entry) => entry.event === 'hashing_process_exited')
  t.equal(exits.length, 1, 'the exit is logged once')
  t.match(exits[0], { level: 50, how: 'SIGKILL' }, 'as an error, with the signal')
})

t.test('closing the app ends its hashing child process', async (t) => {
  let pid: number | undefined
  await t.test('a server that has checked a password', async (t) => {
    const server = await startTestServer(t, {}, { ownHashingProcess: true })
    t.equal((await postLogin(server)).status, 303, 'a login ran argon2 in the child')
    pid = server.app.services.hasher.hashingProcess?.pid
    t.ok(pid !== undefined && !isGone(pid), `its hashing child ${String(pid)} runs`)
  })
  // The subtest's teardown has closed the app (startTestServer registers app.close()).
  if (pid === undefined) return
  t.ok(await waitUntilGone(pid), 'after app.close() the hashing child is gone')
  t.throws(() => process.kill(pid ?? 0, 0), { code: 'ESRCH' }, 'kill(pid, 0): ESRCH')
})
