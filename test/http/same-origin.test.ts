// Cross-site form posts: POST /login and POST /logout are refused with 403 unless the Origin is
// exactly ours and Sec-Fetch-Site (when sent) is same-origin; a refused request changes nothing.
import t from 'tap'
import { countVerifies, getWithSession, postForm, postLogin, sessionCount, setCookies } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

/** Header sets that must be refused, given the server's own origin. */
function crossSiteHeaders (server: TestServer): Array<{ name: string, headers: Record<string, string | undefined> }> {
  return [
    { name: 'Origin of another site', headers: { origin: 'https://evil.example' } },
    { name: 'Origin of another port', headers: { origin: `https://127.0.0.1:${server.port + 1}` } },
    { name: 'our host over http', headers: { origin: `http://127.0.0.1:${server.port}` } },
    { name: 'Origin with a trailing slash', headers: { origin: server.origin + '/' } },
    { name: 'Origin null', headers: { origin: 'null' } },
    { name: 'missing Origin', headers: { origin: undefined } },
    { name: 'Sec-Fetch-Site: cross-site with our Origin', headers: { 'sec-fetch-site': 'cross-site' } },
    { name: 'Sec-Fetch-Site: same-site with our Origin', headers: { 'sec-fetch-site': 'same-site' } }
  ]
}

t.test('POST /login from another site is refused and creates nothing', async (t) => {
  const server = await startTestServer(t)
  const verifies = countVerifies(server)
  for (const { name, headers } of crossSiteHeaders(server)) {
    const res = await postLogin(server, undefined, undefined, headers)
    t.equal(res.status, 403, `${name}: 403`)
    t.same(setCookies(res), [], `${name}: no Set-Cookie`)
    t.match(await res.text(), 'came from another site', `${name}: says why`)
  }
  t.equal(await sessionCount(server), 0, 'no session created')
  t.equal(verifies.calls, 0, 'argon2 never ran')
  t.notMatch(server.logs.text, /login_succeeded|login_failed/, 'no login logged')
  t.ok(
    server.logs.entries().some(
      (e) => e.event === 'request_refused' && e.code === 'cross_site_request' && e.origin === 'https://evil.example'
    ),
    'the refusal is logged, with the Origin it came from'
  )

  const ok = await postLogin(server, undefined, undefined, { 'sec-fetch-site': 'same-origin' })
  t.equal(ok.status, 303, 'our own Origin with Sec-Fetch-Site: same-origin is accepted')
  t.equal(await sessionCount(server), 1)
})

t.test('the localhost spelling of our origin is accepted too', async (t) => {
  const server = await startTestServer(t)
  const res = await postLogin(server, undefined, undefined, { origin: `https://localhost:${server.port}` })
  t.equal(res.status, 303)
})

t.test('POST /logout from another site is refused and the session stays alive', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  for (const { name, headers } of crossSiteHeaders(server)) {
    const res = await postForm(server, '/logout', {}, { cookie: `__Host-sid=${sid}`, ...headers })
    t.equal(res.status, 403, `${name}: 403`)
    t.same(setCookies(res), [], `${name}: the cookie is not cleared`)
  }
  t.equal(await sessionCount(server), 1, 'the session is still there')
  t.equal((await getWithSession(server, '/', sid)).status, 200, 'and still opens /')
  t.notMatch(server.logs.text, '"event":"logout"', 'no logout logged')
})

t.test('cross-site refusals spend a budget of their own, ' +
  'never the visitor\'s requests or login attempts', async (t) => {
  const server = await startTestServer(t, {
    LOGIN_RATE_IP_MAX: '3',
    RATE_LIMIT_MAX: '12',
    RATE_LIMIT_CROSS_SITE_MAX: '11'
  })
  for (let i = 1; i <= 10; i++) {
    t.equal(
      (await postLogin(server, undefined, undefined, { origin: 'https://evil.example' })).status,
      403,
      `cross-site login ${i}: 403`
    )
  }
  t.equal(
    (await postLogin(server)).status,
    303,
    'the visitor still logs in: a page elsewhere cannot spend its login attempts'
  )
  t.equal(
    (await postForm(server, '/logout', {}, { origin: 'https://evil.example' })).status,
    403,
    'cross-site logout: 403'
  )
  const limited = await postLogin(server, undefined, undefined, { origin: 'https://evil.example' })
  t.equal(limited.status, 429, 'past RATE_LIMIT_CROSS_SITE_MAX, cross-site requests are answered 429')
  t.match(await limited.text(), 'Too many requests came from other sites')
  t.equal(
    (await getWithSession(server, '/login')).status,
    200,
    'and the visitor\'s own requests are not: the global limit counted only the login'
  )
})
