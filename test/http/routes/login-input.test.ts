// Login input limits: an oversized username, password or body, or a malformed form, is refused
// before argon2 runs, with no cookie, no session and no secret in the logs. Only HTTP: the app
// answers through inject(), without a listener.
import t from 'tap'
import { countVerifies, postForm, postLogin, sessionCount, setCookies } from '../../helpers/http.js'
import { startTestServer, TEST_USER } from '../../helpers/test-server.js'

const refusals: Array<{ name: string, fields: Record<string, string>, status: number }> = [
  { name: 'a 65-character username', fields: { username: 'a'.repeat(65), password: TEST_USER.password }, status: 400 },
  {
    name: 'a 1025-character password',
    fields: { username: TEST_USER.username, password: 'p'.repeat(1025) },
    status: 400
  },
  {
    name: 'a password of 513 × é (1026 bytes)',
    fields: { username: TEST_USER.username, password: 'é'.repeat(513) },
    status: 400
  },
  {
    name: 'a password of 342 × 漢 (1026 bytes)',
    fields: { username: TEST_USER.username, password: '漢'.repeat(342) },
    status: 400
  },
  {
    name: 'a password of 257 × 😀 (1028 bytes)',
    fields: { username: TEST_USER.username, password: '😀'.repeat(257) },
    status: 400
  },
  {
    name: 'a body over 4 KiB',
    fields: { username: TEST_USER.username, password: TEST_USER.password, pad: 'x'.repeat(4100) },
    status: 413
  },
  { name: 'no password', fields: { username: TEST_USER.username }, status: 400 },
  { name: 'no username', fields: { password: TEST_USER.password }, status: 400 },
  { name: 'an empty password', fields: { username: TEST_USER.username, password: '' }, status: 400 }
]

for (const { name, fields, status } of refusals) {
  t.test(`${name} is refused with ${status} before argon2 runs`, async (t) => {
    const server = await startTestServer(t, {}, { listen: false })
    const verifies = countVerifies(server)
    const res = await postForm(server, '/login', fields)
    t.equal(res.status, status)
    t.match(
      await res.text(),
      'Please enter a username and a password (usernames up to 64 characters; passwords up to 1024 bytes,',
      'the text states the real limits'
    )
    t.same(setCookies(res), [], 'no Set-Cookie')
    t.equal(verifies.calls, 0, 'argon2 never ran')
    t.equal(await sessionCount(server), 0, 'no session created')
    t.notMatch(server.logs.text, /login_succeeded|login_failed/)
    if (fields.password !== undefined && fields.password !== '') {
      t.notMatch(
        server.logs.text,
        fields.password,
        'the password is not logged'
      )
    }
  })
}

t.test('the limits themselves are accepted: 64-character username, 1024-byte passwords in any script', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_USER_MAX: '10' }, { listen: false })
  const verifies = countVerifies(server)
  for (const password of ['p'.repeat(1024), 'é'.repeat(512), '漢'.repeat(341), '😀'.repeat(256)]) {
    t.equal(
      (await postLogin(server, 'a'.repeat(64), password)).status,
      401,
      `${password.slice(0, 2)}…: checked, not refused`
    )
  }
  t.equal(verifies.calls, 4)
})

t.test('a repeated field is refused before argon2 runs', async (t) => {
  const server = await startTestServer(t, {}, { listen: false })
  const verifies = countVerifies(server)
  const res = await server.request('/login', {
    method: 'POST',
    headers: { origin: server.origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'username=alice&username=bob&password=whatever1'
  })
  t.equal(res.status, 400)
  t.same(setCookies(res), [])
  t.equal(verifies.calls, 0)
  t.equal(await sessionCount(server), 0)
})

t.test('only form logins: any other body type gets 415 before it is parsed, ' +
  'with no cookie and no argon2', async (t) => {
  const server = await startTestServer(t, {}, { listen: false })
  const verifies = countVerifies(server)
  const bodies: Array<[string, string]> = [
    ['application/json', JSON.stringify({ username: TEST_USER.username, password: TEST_USER.password })],
    ['text/plain', `username=${TEST_USER.username}&password=${TEST_USER.password}`],
    [
      'multipart/form-data; boundary=x',
      `--x\r\nContent-Disposition: form-data; name="username"\r\n\r\n${TEST_USER.username}\r\n--x--\r\n`
    ],
    ['application/x-www-form-urlencoded-not', `username=${TEST_USER.username}&password=${TEST_USER.password}`]
  ]
  for (const [type, body] of bodies) {
    const res = await server.request('/login', {
      method: 'POST',
      headers: { origin: server.origin, 'content-type': type },
      body
    })
    t.equal(res.status, 415, `${type}: 415`)
    t.match(await res.text(), 'Please enter a username and a password', `${type}: the login page says what to do`)
    t.same(setCookies(res), [], `${type}: no cookie`)
  }
  const none = await server.request('/login', { method: 'POST', headers: { origin: server.origin } })
  t.equal(none.status, 415, 'no body type at all: 415')
  t.equal(verifies.calls, 0, 'argon2 never ran')
  t.equal(await sessionCount(server), 0)
  const form = await server.request('/login', {
    method: 'POST',
    headers: {
      origin: server.origin,
      'content-type': 'application/x-www-form-urlencoded; charset=UTF-8'
    },
    body: new URLSearchParams(TEST_USER).toString()
  })
  t.equal(form.status, 303, 'the form (with a charset) logs in')
})
