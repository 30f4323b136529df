// Logs: logins are logged with username and ip, and no password or session id ever reaches
// the captured pino output, whatever the request carried.
import t from 'tap'
import { getWithSession, postForm, postLogin, sessionIdOf } from '../helpers/http.js'
import { startTestServer, TEST_USER } from '../helpers/test-server.js'

const WRONG_PASSWORD = 'wrong-password-Zq7'

t.test('no password and no session id in the logs after success, failure, logout and cookie requests', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  await postLogin(server, TEST_USER.username, WRONG_PASSWORD)
  await postLogin(server, 'nobody', WRONG_PASSWORD)
  await postLogin(server, TEST_USER.username, WRONG_PASSWORD, {
    origin: 'https://evil.example',
    cookie: `__Host-sid=${sid}`
  })
  await postForm(server, '/login', { username: TEST_USER.username, password: WRONG_PASSWORD.repeat(100) })
  for (const route of ['/', '/login', '/assets/style.css', '/nothing-here', '/?x=1']) {
    await getWithSession(server, route, sid)
  }
  const replaced = await postLogin(server, undefined, undefined, { cookie: `__Host-sid=${sid}` })
  const second = sessionIdOf(replaced) ?? ''
  t.ok(second.length === 43, 'a second session')
  await postForm(server, '/logout', {}, { cookie: `__Host-sid=${second}` })
  await getWithSession(server, '/', second)

  const text = server.logs.text
  t.ok(server.logs.lines.length > 10, `${server.logs.lines.length} log lines captured`)
  for (const secret of [TEST_USER.password, WRONG_PASSWORD, sid, second, sid.slice(0, 16), second.slice(0, 16)]) {
    t.notOk(text.includes(secret), `not in the logs: ${secret.slice(0, 6)}…`)
  }
  t.notMatch(text, /__Host-sid/, 'no cookie header or Set-Cookie in the logs')
  t.notMatch(text, /"password"/i, 'no password field at all')
  for (const entry of server.logs.entries()) t.type(entry.level, 'number', 'every line is pino JSON')
})

t.test('login success and a wrong password are logged with username and ip; ' +
  'a name with no account only by its tag', async (t) => {
  const server = await startTestServer(t)
  await server.login()
  await postLogin(server, TEST_USER.username, WRONG_PASSWORD)
  await postLogin(server, 'nobody', WRONG_PASSWORD)
  await postLogin(server, 'not a name\n{"event":"login_succeeded"}', WRONG_PASSWORD)
  const entries = server.logs.entries()
  const succeeded = entries.filter((e) => e.event === 'login_succeeded')
  const failed = entries.filter((e) => e.event === 'login_failed')
  t.equal(succeeded.length, 1)
  t.match(succeeded[0], { username: TEST_USER.username, ip: '127.0.0.1', msg: 'login succeeded' })
  t.equal(failed.length, 3)
  t.match(failed[0], { account: 'known', username: TEST_USER.username, ip: '127.0.0.1', msg: 'login failed' })
  t.match(failed[1], { account: 'unknown', usernameTag: /^[0-9a-f]{16}$/, ip: '127.0.0.1' })
  t.match(
    failed[2],
    { account: 'unknown', usernameTag: /^[0-9a-f]{16}$/, ip: '127.0.0.1' },
    'an invalid name is not copied into the log'
  )
  t.notOk(
    'username' in (failed[1] ?? {}) || 'username' in (failed[2] ?? {}),
    'no username field for a name with no account'
  )
  t.notOk(server.logs.text.includes('nobody'), 'the unknown name is nowhere in the logs')
})

t.test('a logout is logged with the username; a refused one is not', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  await postForm(server, '/logout', {}, { cookie: `__Host-sid=${sid}`, origin: 'https://evil.example' })
  t.equal(server.logs.entries().filter((e) => e.event === 'logout').length, 0)
  t.equal(
    server.logs.entries().filter(
      (e) => e.event === 'request_refused' && e.code === 'cross_site_request' && e.level === 40
    ).length,
    1,
    'the refusal is logged as a warning'
  )
  await postForm(server, '/logout', {}, { cookie: `__Host-sid=${sid}` })
  const logouts = server.logs.entries().filter((e) => e.event === 'logout')
  t.equal(logouts.length, 1)
  t.match(logouts[0], { username: TEST_USER.username, ip: '127.0.0.1' })
  t.notOk(server.logs.text.includes(sid))
})
