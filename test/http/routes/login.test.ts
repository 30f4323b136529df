// Login over TLS: success sets exactly one __Host- session cookie and opens the hero page;
// unknown user and wrong password get the same 401, byte for byte, in similar time.
import t from 'tap'
import {
  countVerifies,
  getWithSession,
  median,
  postLogin,
  SESSION_SET_COOKIE,
  sessionCount,
  setCookies
} from '../../helpers/http.js'
import { HTTP_ERRORS } from '../../../src/errors.js'
import { startTestServer, TEST_USER } from '../../helpers/test-server.js'

const FAILED = HTTP_ERRORS.login_failed.message

t.test('a correct login sets one __Host- cookie and redirects to /', async (t) => {
  const server = await startTestServer(t)
  const verifies = countVerifies(server)
  const res = await postLogin(server)
  t.equal(res.status, 303)
  t.equal(res.headers.get('location'), '/')
  t.equal(res.headers.get('cache-control'), 'no-store')
  const cookies = setCookies(res)
  t.equal(cookies.length, 1, 'exactly one Set-Cookie')
  t.match(
    cookies[0],
    SESSION_SET_COOKIE,
    'name, 43 base64url characters and exactly Path=/; HttpOnly; Secure; SameSite=Strict'
  )
  t.notMatch(cookies[0], /domain|max-age|expires/i, 'no Domain, no Max-Age, no Expires')
  t.equal(verifies.calls, 1)
  t.equal(await sessionCount(server), 1)

  const sid = SESSION_SET_COOKIE.exec(cookies[0] ?? '')?.[1]
  const page = await getWithSession(server, '/', sid)
  t.equal(page.status, 200, 'the cookie opens /')
  t.match(page.headers.get('content-type'), /^text\/html/)
  const html = await page.text()
  t.match(html, '<title>Heroes · hero-socket</title>', 'the hero page')
  t.match(html, 'action="/logout"')
})

t.test('GET / without a cookie redirects to /login and sets nothing', async (t) => {
  const server = await startTestServer(t)
  const res = await getWithSession(server, '/')
  t.equal(res.status, 303)
  t.equal(res.headers.get('location'), '/login')
  t.same(setCookies(res), [])
  t.equal(await sessionCount(server), 0)
})

t.test('GET / with a made-up or malformed session cookie does not open the page', async (t) => {
  const server = await startTestServer(t)
  for (const sid of ['A'.repeat(43), 'not-a-session', '', `${'B'.repeat(43)}; __Host-sid=${'C'.repeat(43)}`]) {
    const res = await getWithSession(server, '/', sid)
    t.equal(res.status, 303, `refused: ${JSON.stringify(sid)}`)
    t.match(res.headers.get('location'), /^\/login/)
    t.notMatch(await res.text(), 'Heroes')
  }
  t.equal(await sessionCount(server), 0)
})

t.test('unknown user and wrong password are indistinguishable', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_IP_MAX: '100', LOGIN_RATE_USER_MAX: '100' })
  const verifies = countVerifies(server)

  const unknown = await postLogin(server, 'nobody', TEST_USER.password)
  const wrong = await postLogin(server, TEST_USER.username, 'not the password')
  const invalidName = await postLogin(server, 'not a valid name!', TEST_USER.password)
  const bodies = [await unknown.text(), await wrong.text(), await invalidName.text()]
  for (const res of [unknown, wrong, invalidName]) {
    t.equal(res.status, 401)
    t.same(setCookies(res), [], 'no Set-Cookie on a failed login')
    t.equal(res.headers.get('location'), null)
    t.match(res.headers.get('content-type'), /^text\/html/)
  }
  t.match(bodies[0], FAILED)
  // Each page puts back the name that was typed, and differs in nothing else.
  const names = ['nobody', TEST_USER.username, 'not a valid name!']
  t.same(names.map((name, i) => bodies[i]?.includes(`value="${name}"`)), [true, true, true], 'each keeps its name')
  const unnamed = bodies.map((body, i) => body.replace(`value="${names[i] ?? ''}"`, 'value=""'))
  t.equal(unnamed[1], unnamed[0], 'wrong password: byte-identical body but for the name typed')
  t.equal(unnamed[2], unnamed[0], 'invalid username: byte-identical body but for the name typed')
  t.equal(verifies.calls, 3, 'argon2 ran for every attempt, including the unknown user')
  t.equal(await sessionCount(server), 0, 'no session created')
})

t.test('unknown user and wrong password take similar time (argon2 runs for both)', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_IP_MAX: '100', LOGIN_RATE_USER_MAX: '100' }, {
    ownHashingProcess: true
  })
  const unknownMs: number[] = []
  const wrongMs: number[] = []
  await postLogin(server, 'warm-up', 'x') // first request pays for the TLS handshake
  for (let i = 0; i < 7; i++) {
    let start = performance.now()
    t.equal((await postLogin(server, `nobody${i}`, 'not the password')).status, 401)
    unknownMs.push(performance.now() - start)
    start = performance.now()
    t.equal((await postLogin(server, TEST_USER.username, 'not the password')).status, 401)
    wrongMs.push(performance.now() - start)
  }
  const unknown = median(unknownMs)
  const wrong = median(wrongMs)
  t.comment(`median unknown user ${unknown.toFixed(1)} ms, wrong password ${wrong.toFixed(1)} ms`)
  t.ok(
    unknown < wrong * 3 && wrong < unknown * 3,
    `medians within 3x (${unknown.toFixed(1)} vs ${wrong.toFixed(1)} ms)`
  )
  t.equal(await sessionCount(server), 0)
})

t.test('a failed login puts back only the username, escaped, in its field; never the password', async (t) => {
  const server = await startTestServer(t)
  const res = await postLogin(server, '"><script>alert(1)</script>', '<script>alert(2)</script>')
  const body = await res.text()
  t.equal(res.status, 401)
  t.notMatch(body, '<script>', 'nothing typed becomes markup')
  t.notMatch(body, 'alert(2)', 'the password is not echoed')
  t.match(body, 'value="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;">', 'the name, escaped, in its field')
  t.match(body, /<input id="password" [^>]* autofocus>/, 'the cursor goes to the password')
  t.notMatch(body, /<input id="username" [^>]* autofocus/)
})
