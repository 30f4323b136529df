// Rate limits answer 429 with Retry-After: logins per IP, logins per username and IP (which
// must not block other usernames), and every route per IP. A limited login runs no argon2.
import t, { type Test } from 'tap'
import { countVerifies, getWithSession, postLogin, sessionCount, setCookies } from '../helpers/http.js'
import { startTestServer, TEST_USER } from '../helpers/test-server.js'

/** Asserts a 429 with a positive whole-second Retry-After, and returns the body. */
async function assertLimited (t: Test, res: Response, window: number): Promise<string> {
  t.equal(res.status, 429)
  const retryAfter = Number(res.headers.get('retry-after'))
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= window, `Retry-After ${res.headers.get('retry-after')} within 1..${window}`)
  t.same(setCookies(res), [], 'no Set-Cookie')
  return await res.text()
}

t.test('logins per IP: LOGIN_RATE_IP_MAX attempts, then 429 even with the right password', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_IP_MAX: '3', LOGIN_RATE_USER_MAX: '100', LOGIN_RATE_WINDOW_S: '60' })
  for (let i = 0; i < 3; i++) t.equal((await postLogin(server, `user${i}`, 'wrong password')).status, 401)
  const verifies = countVerifies(server)
  const body = await assertLimited(t, await postLogin(server), 60)
  t.match(body, 'Too many requests')
  t.equal(verifies.calls, 0, 'argon2 did not run')
  t.equal(await sessionCount(server), 0, 'no session created')
  t.notMatch(server.logs.text, 'login_succeeded')
})

t.test('logins per username and IP: LOGIN_RATE_USER_MAX attempts, then 429; other usernames still get through', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_IP_MAX: '100', LOGIN_RATE_USER_MAX: '2', LOGIN_RATE_WINDOW_S: '60' })
  t.equal((await postLogin(server, TEST_USER.username, 'wrong password')).status, 401)
  t.equal((await postLogin(server, TEST_USER.username, 'wrong password')).status, 401)
  const verifies = countVerifies(server)
  const body = await assertLimited(t, await postLogin(server), 60)
  t.match(body, 'Too many requests')
  t.equal(verifies.calls, 0, 'argon2 did not run for the limited attempt')
  await assertLimited(t, await postLogin(server, TEST_USER.username.toUpperCase(), TEST_USER.password), 60)
  t.equal(verifies.calls, 0, 'the same name in other case is the same key')
  t.equal(await sessionCount(server), 0, 'no session created for the limited user')

  const other = await postLogin(server, 'bob', 'wrong password')
  t.equal(other.status, 401, 'another username from the same IP is not blocked')
  t.equal(verifies.calls, 1)
})

t.test('every route per IP: RATE_LIMIT_MAX requests, then 429 with Retry-After', async (t) => {
  const server = await startTestServer(t, { RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW_S: '30' })
  const sid = await server.login()
  t.equal((await getWithSession(server, '/', sid)).status, 200)
  t.equal((await getWithSession(server, '/login')).status, 200)
  t.equal((await getWithSession(server, '/assets/style.css')).status, 200)
  t.equal((await getWithSession(server, '/nothing')).status, 404)
  const page = await getWithSession(server, '/', sid)
  const body = await assertLimited(t, page, 30)
  t.notMatch(body, 'Heroes', 'the hero page is not served')
  t.match(body, 'Too many requests')
  await assertLimited(t, await getWithSession(server, '/assets/style.css'), 30)
  const json = await getWithSession(server, '/nothing')
  t.equal(json.status, 429)
  t.match(await json.json(), { code: 'rate_limited' }, 'a JSON route answers the limit as JSON')
  t.equal((await getWithSession(server, '/healthz')).status, 200, 'the health probe is never limited (and asks no store)')
})

t.test('unknown paths count against the route limit too', async (t) => {
  const server = await startTestServer(t, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_S: '30' })
  t.equal((await getWithSession(server, '/nothing-1')).status, 404)
  t.equal((await getWithSession(server, '/nothing-2')).status, 404)
  t.equal((await getWithSession(server, '/assets/nothing.css')).status, 404)
  const probe = await getWithSession(server, '/nothing-3')
  await assertLimited(t, probe, 30)
  await assertLimited(t, await getWithSession(server, '/login'), 30)
  t.equal(server.logs.entries().filter((e) => e.code === 'rate_limited').length, 2, 'both refusals are logged')
})
