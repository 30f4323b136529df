// Login page notices: only the fixed texts of the registry are shown for known codes; any other
// value, including prototype names and markup, shows no notice and is never echoed.
import t from 'tap'
import { LOGIN_NOTICES } from '../../../src/errors.js'
import { getWithSession } from '../../helpers/http.js'
import { startTestServer } from '../../helpers/test-server.js'

t.test('known notices show their fixed text', async (t) => {
  const server = await startTestServer(t)
  for (const [code, text] of LOGIN_NOTICES) {
    const res = await getWithSession(server, `/login?notice=${code}`)
    t.equal(res.status, 200)
    const body = await res.text()
    t.match(body, `id="login-notice">${text}</p>`, `${code}: shown`)
    t.match(body, 'role="status"', `${code}: an info notice, not an alert`)
  }
  t.match(await (await getWithSession(server, '/login?notice=session_ended')).text(), 'Your session has ended')
})

t.test('unknown notice values show no notice and are not echoed', async (t) => {
  const server = await startTestServer(t)
  const plain = await (await getWithSession(server, '/login')).text()
  t.notMatch(plain, 'login-notice', 'no notice without a code')
  const values = [
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'SESSION_ENDED',
    'session_ended ',
    '<script>alert(1)</script>',
    ''
  ]
  for (const value of values) {
    const res = await getWithSession(server, `/login?notice=${encodeURIComponent(value)}`)
    t.equal(res.status, 200, `${JSON.stringify(value)}: 200`)
    const body = await res.text()
    t.notMatch(body, 'login-notice', `${JSON.stringify(value)}: no notice`)
    t.equal(body, plain, `${JSON.stringify(value)}: the plain login page`)
  }
  for (const query of [
    'notice=session_ended&notice=logged_out',
    'notice[]=session_ended',
    'notice[__proto__]=x',
    '__proto__[notice]=session_ended'
  ]) {
    const res = await getWithSession(server, `/login?${query}`)
    t.equal(res.status, 200, `${query}: 200`)
    t.equal(await res.text(), plain, `${query}: no notice`)
  }
})
