// /account/password over TLS: every refusal (another site, no session, a wrong current password
// spent from the login limits, the new password twice different, a new password a rule refuses,
// each with its sentence), and the change itself: the other sessions' sockets close with 4401,
// this browser continues under a new session id, the old password fails and the new one works.
// Then one-time (issued) passwords: they lead to the form before anything else (the hero page
// redirects, the gate refuses a socket), and unused past their deadline they log in no more.
import t from 'tap'
import { ONE_TIME_PASSWORD_LIFETIME_MS } from '../../../src/account-limits.js'
import { HTTP_ERRORS, LOGIN_NOTICES, PASSWORD_REFUSALS } from '../../../src/errors.js'
import { assertRefused } from '../../helpers/gate-refusals.js'
import { openAuthorised } from '../../helpers/hero-client.js'
import {
  countVerifies, getWithSession, postForm, postLogin, SESSION_SET_COOKIE, sessionCount, sessionIdOf, setCookies
} from '../../helpers/http.js'
import { upgradeRequest } from '../../helpers/raw-handshake.js'
import { hashFor, openSession, startTestServer, TEST_USER, type TestServer } from '../../helpers/test-server.js'

const NEW_PASSWORD = 'a brand new passphrase of mine'
const SESSION_ENDED = { code: 4401, reason: 'session_ended' }

/** The change-password form as our own page posts it, with the session `sid`. */
async function postChange (
  server: TestServer,
  sid: string | undefined,
  fields: Partial<Record<'currentPassword' | 'newPassword' | 'repeatPassword', string>> = {},
  headers: Record<string, string | undefined> = {}
): Promise<Response> {
  return await postForm(server, '/account/password', {
    currentPassword: TEST_USER.password,
    newPassword: NEW_PASSWORD,
    repeatPassword: fields.newPassword ?? NEW_PASSWORD,
    ...fields
  }, { 'sec-fetch-site': 'same-origin', ...(sid === undefined ? {} : { cookie: `__Host-sid=${sid}` }), ...headers })
}

/** The notice a page shows (its text, unescaped enough for our sentences), or undefined. */
function noticeOf (html: string): string | undefined {
  return /<p class="notice [^"]*" role="[a-z]+" id="password-notice">([^<]*)<\/p>/.exec(html)?.[1]
    ?.replace(/&#39;/g, '\'')
}

t.test('GET /account/password shows the form to a session, and sends anyone else to log in', async (t) => {
  const server = await startTestServer(t, {}, { listen: false })
  const sid = await server.login()
  const page = await getWithSession(server, '/account/password', sid)
  t.equal(page.status, 200)
  t.equal(page.headers.get('cache-control'), 'no-store')
  t.match(page.headers.get('content-security-policy'), "script-src 'self'", 'the strict CSP')
  const html = await page.text()
  t.match(html, '<form method="post" action="/account/password"')
  t.match(html, 'autocomplete="current-password"')
  t.match(html, 'Enter your current password, then the new one twice.')
  t.match(html, 'At least 15 characters')
  t.match(html, '<form method="post" action="/logout"', 'a way to log out (ASVS 7.4.4)')
  t.notMatch(html, /<script(?![^>]*src=)/, 'no inline script')
  const none = await getWithSession(server, '/account/password')
  t.equal(none.status, 303)
  t.equal(none.headers.get('location'), '/login')
  const gone = await getWithSession(server, '/account/password', 'A'.repeat(43))
  t.equal(gone.headers.get('location'), '/login?notice=session_ended')
})

t.test('refusals: another site, no session, a form that is not a form, an over-long password', async (t) => {
  const server = await startTestServer(t, {}, { listen: false })
  const verifies = countVerifies(server)
  const sid = await server.login()
  const crossSite = await postChange(server, sid, {}, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })
  t.equal(crossSite.status, 403)
  t.match(await crossSite.text(), HTTP_ERRORS.cross_site_request.message)
  const noOrigin = await postChange(server, sid, {}, { origin: undefined, 'sec-fetch-site': undefined })
  t.equal(noOrigin.status, 403, 'no Origin at all: refused')
  const sameSite = await postChange(server, sid, {}, { 'sec-fetch-site': 'same-site' })
  t.equal(sameSite.status, 403, 'a sibling subdomain: refused')
  const noSession = await postChange(server, undefined)
  t.equal(noSession.status, 303)
  t.equal(noSession.headers.get('location'), '/login')
  const json = await server.request('/account/password', {
    method: 'POST',
    headers: { origin: server.origin, 'content-type': 'application/json', cookie: `__Host-sid=${sid}` },
    body: JSON.stringify(
      { currentPassword: TEST_USER.password, newPassword: NEW_PASSWORD, repeatPassword: NEW_PASSWORD }
    )
  })
  t.equal(json.status, 415)
  t.match(await json.text(), 'Please enter your current password and the new one twice')
  const missing = await postForm(server, '/account/password', { currentPassword: TEST_USER.password },
    { cookie: `__Host-sid=${sid}` })
  t.equal(missing.status, 400)
  t.equal(noticeOf(await missing.text()), HTTP_ERRORS.password_form_invalid.message)
  const tooLong = await postChange(server, sid, { newPassword: 'é'.repeat(513) })
  t.equal(tooLong.status, 400)
  t.equal(noticeOf(await tooLong.text()), HTTP_ERRORS.password_form_invalid.message, '1026 bytes: the form is invalid')
  t.equal(verifies.calls, 1, 'argon2 ran for the login only')
  t.equal((await postLogin(server)).status, 303, 'the password is unchanged')
})

t.test('a wrong current password: refused in words, counted by the login limits', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_USER_MAX: '2', LOGIN_RATE_IP_MAX: '100' }, { listen: false })
  const { id: sid } = await openSession(server) // not through /login: only the two wrong tries spend the budget
  for (const attempt of [1, 2]) {
    const res = await postChange(server, sid, { currentPassword: 'not my password at all' })
    t.equal(res.status, HTTP_ERRORS.current_password_wrong.status, `attempt ${attempt}`)
    t.equal(noticeOf(await res.text()), HTTP_ERRORS.current_password_wrong.message)
  }
  const limited = await postChange(server, sid)
  t.equal(limited.status, 429, 'the third try of alice in the window is refused, even with the right password')
  t.match(limited.headers.get('retry-after'), /^\d+$/)
  t.equal((await postLogin(server)).status, 429, 'and so is a login as alice: one budget')
  const logged = server.logs.entries().filter((e) => e.event === 'password_change_failed')
  t.same(logged.map((e) => [e.username, e.reason]), [['alice', 'wrong_password'], ['alice', 'wrong_password']])
  t.notMatch(server.logs.text, 'not my password at all', 'no password in the logs')
  t.notMatch(server.logs.text, sid, 'no session id in the logs')
})

t.test('the two new passwords differ, or a rule refuses the new one: the page says which', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_USER_MAX: '100' }, { listen: false })
  const sid = await server.login()
  const differ = await postChange(server, sid, { newPassword: NEW_PASSWORD, repeatPassword: `${NEW_PASSWORD}!` })
  t.equal(differ.status, 400)
  t.equal(noticeOf(await differ.text()), HTTP_ERRORS.new_passwords_differ.message)
  const cases: Array<[string, keyof typeof PASSWORD_REFUSALS]> = [
    ['password1', 'password_common'],
    ['1Q2W3E4R5T6Y7U8I9O0P', 'password_common'],
    ['short but fine', 'password_too_short'],
    ['alice in wonderland forever', 'password_has_username'],
    ['I am Iron Man, a long password', 'password_has_context_word'],
    ['line\u0007bell inside a long one', 'password_untypeable']
  ]
  for (const [password, code] of cases) {
    const res = await postChange(server, sid, { newPassword: password })
    t.equal(res.status, 400, code)
    const html = await res.text()
    t.equal(noticeOf(html), PASSWORD_REFUSALS[code], `${code}: the reason in words`)
    t.match(html, 'role="alert"', 'announced to a screen reader')
  }
  t.equal((await postLogin(server)).status, 303, 'the old password still works')
  t.equal(await server.sessions.get(sid).then((s) => s?.username), 'alice', 'and the session goes on')
})

t.test('a change: other sessions end (their sockets close 4401), this browser goes on under a new id, ' +
  'the old password fails and the new one works', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_USER_MAX: '100', MAX_SESSIONS_PER_USER: '5' })
  const mine = await server.login()
  const other = await server.login()
  const third = await server.login()
  const otherSocket = await openAuthorised(t, server, other)
  const mySocket = await openAuthorised(t, server, mine)
  const res = await postChange(server, mine)
  t.equal(res.status, 200)
  const cookies = setCookies(res)
  t.equal(cookies.length, 1)
  t.match(cookies[0], SESSION_SET_COOKIE)
  const fresh = sessionIdOf(res)
  t.ok(fresh !== undefined && fresh !== mine, 'a new session id')
  t.equal(noticeOf(await res.text()), 'Your password has been changed. Your 2 other sessions have ended: wherever ' +
    'else you were logged in, you must log in again with the new password.')
  t.same(await otherSocket.closed(), SESSION_ENDED, 'the other session\'s socket closed with 4401')
  t.same(await mySocket.closed(), SESSION_ENDED, 'and the old id\'s own socket')
  for (const sid of [mine, other, third]) t.equal(await server.sessions.get(sid), undefined, 'the old ids are over')
  const page = await getWithSession(server, '/', fresh)
  t.equal(page.status, 200, 'this browser continues')
  await openAuthorised(t, server, fresh ?? '', 'alice')
  t.equal(await sessionCount(server), 1)
  t.equal((await postLogin(server)).status, 401, 'the old password fails')
  t.equal((await postLogin(server, 'alice', NEW_PASSWORD)).status, 303, 'the new one works')
  const changed = server.logs.entries().find((e) => e.event === 'password_changed')
  t.match(changed, { username: 'alice', endedSessions: 2 })
  t.notMatch(server.logs.text, NEW_PASSWORD)
  const other2 = await getWithSession(server, '/', other)
  t.equal(other2.headers.get('location'), '/login?notice=session_ended')
  t.ok(LOGIN_NOTICES.has('session_ended'))
})

t.test('an issued password leads to the change form before anything else', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_USER_MAX: '100' })
  await server.users.put({
    username: 'bob',
    hash: await hashFor('an issued password for bob'),
    passwordSetAt: server.clock.now,
    mustChangeBy: server.clock.now + ONE_TIME_PASSWORD_LIFETIME_MS
  })
  const login = await postLogin(server, 'bob', 'an issued password for bob')
  t.equal(login.status, 303)
  const sid = sessionIdOf(login) ?? ''
  const heroes = await getWithSession(server, '/', sid)
  t.equal(heroes.status, 303)
  t.equal(heroes.headers.get('location'), '/account/password', 'the hero page sends it to the form')
  const form = await getWithSession(server, '/account/password', sid)
  t.match(await form.text(), 'The password you were given works only until you choose your own')
  await assertRefused(
    t, server, upgradeRequest(server, { sid }),
    { status: 403, reason: 'password_change_required', secrets: [sid] },
    'the gate refuses a socket'
  )
  const res = await postChange(server, sid, { currentPassword: 'an issued password for bob' })
  t.equal(res.status, 200)
  const fresh = sessionIdOf(res) ?? ''
  t.equal((await getWithSession(server, '/', fresh)).status, 200, 'then the hero page opens')
  await openAuthorised(t, server, fresh, 'bob')
  t.equal((await server.users.get('bob'))?.mustChangeBy, undefined, 'the account holds a chosen password')
})

t.test('an issued password unused past its deadline logs in no more, with the wrong password\'s answer', async (t) => {
  const server = await startTestServer(t, {}, { listen: false })
  await server.users.put({
    username: 'bob',
    hash: await hashFor('an issued password for bob'),
    passwordSetAt: server.clock.now,
    mustChangeBy: server.clock.now + ONE_TIME_PASSWORD_LIFETIME_MS
  })
  const wrong = await (await postLogin(server, 'bob', 'not the password for bob')).text()
  server.clock.advance(ONE_TIME_PASSWORD_LIFETIME_MS + 1)
  const late = await postLogin(server, 'bob', 'an issued password for bob')
  t.equal(late.status, 401)
  t.same(setCookies(late), [])
  t.equal(await late.text(), wrong, 'byte for byte the wrong password\'s page')
  t.equal(await sessionCount(server, 'bob'), 0, 'no session left behind')
  t.match(
    server.logs.entries().filter((e) => e.event === 'login_failed').map((e) => e.reason),
    ['wrong_password', 'password_expired']
  )
})
