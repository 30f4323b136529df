// Rate limits answer 429 with Retry-After: logins per IP, logins per username and IP (which
// must not block other usernames), and every route per IP. A limited login runs no argon2.
import https from 'node:https'
import t, { type Test } from 'tap'
import { HTTP_ERRORS } from '../../src/errors.js'
import { countVerifies, getWithSession, postLogin, sessionCount, setCookies } from '../helpers/http.js'
import { startTestServer, TEST_USER, type TestServer } from '../helpers/test-server.js'

/** Asserts a 429 with a positive whole-second Retry-After, and returns the body. */
async function assertLimited (t: Test, res: Response, window: number): Promise<string> {
  t.equal(res.status, 429)
  const retryAfter = Number(res.headers.get('retry-after'))
  t.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= window,
    `Retry-After ${res.headers.get('retry-after')} within 1..${window}`
  )
  t.same(setCookies(res), [], 'no Set-Cookie')
  return await res.text()
}

t.test('logins per IP: LOGIN_RATE_IP_MAX attempts, then 429 even with the right password', async (t) => {
  const server = await startTestServer(t, {
    LOGIN_RATE_IP_MAX: '3',
    LOGIN_RATE_USER_MAX: '100',
    LOGIN_RATE_WINDOW_S: '60'
  })
  for (let i = 0; i < 3; i++) t.equal((await postLogin(server, `user${i}`, 'wrong password')).status, 401)
  const verifies = countVerifies(server)
  const body = await assertLimited(t, await postLogin(server), 60)
  t.match(body, 'Too many requests')
  t.equal(verifies.calls, 0, 'argon2 did not run')
  t.equal(await sessionCount(server), 0, 'no session created')
  t.notMatch(server.logs.text, 'login_succeeded')
})

t.test('logins per username and IP: LOGIN_RATE_USER_MAX attempts, then 429; ' +
  'other usernames still get through', async (t) => {
  const server = await startTestServer(t, {
    LOGIN_RATE_IP_MAX: '100',
    LOGIN_RATE_USER_MAX: '2',
    LOGIN_RATE_WINDOW_S: '60'
  })
  t.equal((await postLogin(server, TEST_USER.username, 'wrong password')).status, 401)
  t.equal((await postLogin(server, TEST_USER.username, 'wrong password')).status, 401)
  const verifies = countVerifies(server)
  const body = await assertLimited(t, await postLogin(server), 60)
  t.match(body, HTTP_ERRORS.login_attempts_limited.message, 'the login limit\'s own words')
  t.match(body, /Try again in (\d+ seconds|1 minute)\./, 'with the wait in words')
  t.match(body, `value="${TEST_USER.username}"`, 'the username stays in its field')
  t.equal(verifies.calls, 0, 'argon2 did not run for the limited attempt')
  await assertLimited(t, await postLogin(server, TEST_USER.username.toUpperCase(), TEST_USER.password), 60)
  t.equal(verifies.calls, 0, 'the same name in other case is the same key')
  t.equal(await sessionCount(server), 0, 'no session created for the limited user')

  const other = await postLogin(server, 'bob', 'wrong password')
  t.equal(other.status, 401, 'another username from the same IP is not blocked')
  t.equal(verifies.calls, 1)
})

t.test('logins per username and IP count failures only: logging in again and again is never refused, ' +
  'guessing still is', async (t) => {
  const server = await startTestServer(t, {
    LOGIN_RATE_IP_MAX: '100',
    LOGIN_RATE_USER_MAX: '2',
    LOGIN_RATE_WINDOW_S: '60'
  })
  const statuses = []
  for (let i = 0; i < 8; i++) statuses.push((await postLogin(server)).status)
  t.same(statuses, [303, 303, 303, 303, 303, 303, 303, 303], 'eight logins in a row with the right password')
  t.equal((await postLogin(server, TEST_USER.username, 'wrong password')).status, 401, 'a first wrong password')
  t.equal((await postLogin(server)).status, 303, 'the right one still logs in')
  t.equal((await postLogin(server, TEST_USER.username, 'wrong password')).status, 401, 'a second wrong password')
  const verifies = countVerifies(server)
  const body = await assertLimited(t, await postLogin(server), 60)
  t.match(body, HTTP_ERRORS.login_attempts_limited.message)
  t.equal(verifies.calls, 0, 'two failures, then argon2 does not run, even for the right password')
})

t.test('logins per IP still count successes: they cap how many hashes one client can ask for', async (t) => {
  const server = await startTestServer(t, {
    LOGIN_RATE_IP_MAX: '3',
    LOGIN_RATE_USER_MAX: '100',
    LOGIN_RATE_WINDOW_S: '60'
  })
  for (let i = 0; i < 3; i++) t.equal((await postLogin(server)).status, 303)
  const verifies = countVerifies(server)
  await assertLimited(t, await postLogin(server), 60)
  t.equal(verifies.calls, 0, 'argon2 did not run')
})

t.test('every route per IP: RATE_LIMIT_MAX requests, then 429 with Retry-After', async (t) => {
  // The login (a POST /login) is one of the five.
  const server = await startTestServer(t, { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_S: '30' })
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
  t.equal(
    (await getWithSession(server, '/healthz')).status,
    200,
    'the health probe has a budget of its own, in the process (it asks no store)'
  )
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

/** GET `route` from the loopback address `from`, with these headers (fetch cannot choose its address). */
function getFrom (
  server: TestServer,
  route: string,
  from: string,
  headers: Record<string, string> = {}
): Promise<number> {
  return new Promise((resolve, reject) => {
    https.get({
      host: '127.0.0.1',
      port: server.port,
      path: route,
      localAddress: from,
      headers,
      agent: false
    }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    }).on('error', reject)
  })
}

t.test('the HTTP limits count the client the trusted proxy names, IPv6 by /64; ' +
  'a direct client cannot choose', async (t) => {
  const server = await startTestServer(t, {
    TRUSTED_PROXIES: '127.0.0.1',
    RATE_LIMIT_MAX: '2',
    RATE_LIMIT_WINDOW_S: '60'
  })
  const via = (chain: string): Promise<number> => getFrom(server, '/login', '127.0.0.1', { 'x-forwarded-for': chain })
  t.same(
    [await via('10.0.0.1'), await via('10.0.0.1'), await via('10.0.0.1')],
    [200, 200, 429],
    '10.0.0.1: two, then 429'
  )
  t.equal(await via('1.2.3.4, 10.0.0.1'), 429, 'an entry added on the left changes nothing')
  t.equal(await via('::ffff:10.0.0.1'), 429, 'the IPv4-mapped form is the same client')
  t.same([await via('10.0.0.2'), await via('10.0.0.2')], [200, 200], '10.0.0.2 has its own budget')
  t.same(
    [await via('2001:db8:7:7::1'), await via('2001:db8:7:7::2'), await via('2001:db8:7:7:ffff::9')],
    [200, 200, 429],
    'one /64 is one client'
  )
  t.equal(await via('2001:db8:7:8::1'), 200, 'the next /64 is another')
  // A peer that is not a trusted proxy is the client, whatever it sends.
  const direct = (chain: string): Promise<number> => getFrom(server, '/login', '127.0.0.9', {
    'x-forwarded-for': chain
  })
  t.same(
    [await direct('10.1.0.1'), await direct('10.1.0.2'), await direct('10.1.0.3')],
    [200, 200, 429],
    'a fresh X-Forwarded-For per request buys a direct client nothing'
  )
})

t.test('the login limits count that same client', async (t) => {
  const server = await startTestServer(t, {
    TRUSTED_PROXIES: '127.0.0.1',
    LOGIN_RATE_IP_MAX: '2',
    LOGIN_RATE_USER_MAX: '100'
  })
  const attempt = async (chain: string): Promise<number> => (await postLogin(server, TEST_USER.username, 'wrong', {
    'x-forwarded-for': chain
  })).status
  t.same(
    [await attempt('10.0.0.1'), await attempt('10.0.0.1'), await attempt('10.0.0.1')],
    [401, 401, 429],
    'LOGIN_RATE_IP_MAX per client'
  )
  t.equal(await attempt('2001:db8::1'), 401)
  t.equal(await attempt('2001:db8::2'), 401)
  t.equal(await attempt('2001:db8::3'), 429, 'by /64')
  t.equal(await attempt('10.0.0.2'), 401, 'another client is not limited')
  t.same(
    server.logs.entries().filter((e) => e.event === 'login_failed').map((e) => e.ip),
    ['10.0.0.1', '10.0.0.1', '2001:db8::1', '2001:db8::2', '10.0.0.2'],
    'and the logs name the clients'
  )
})
