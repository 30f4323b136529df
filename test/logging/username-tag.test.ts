// A name with no account never reaches the logs (it is often a password typed into the username
// field): a failed login logs whether the account exists, and for an unknown name only a keyed
// tag (HMAC with a per-process key) that is the same for the same name within a run. A known
// user's wrong password still names the user.
import { createHash } from 'node:crypto'
import t from 'tap'
import { unknownUsernameTag } from '../../src/logging/username-tag.js'
import { postLogin } from '../helpers/http.js'
import { startTestServer, TEST_USER } from '../helpers/test-server.js'

/** A password typed into the username field: it follows the username rule, so it "looks like" one. */
const PASSWORD_AS_NAME = 'Tr0ub4dor.and.3-horses'

t.test('a password typed as the username is in no log line; the line says the account is unknown', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_USER_MAX: '10' })
  const res = await postLogin(server, PASSWORD_AS_NAME, TEST_USER.password)
  t.equal(res.status, 401)
  const raw = server.logs.text
  t.notOk(raw.includes(PASSWORD_AS_NAME), 'the raw value is nowhere in the captured log stream')
  t.notOk(raw.toLowerCase().includes(PASSWORD_AS_NAME.toLowerCase()), 'not even in another case')
  t.notOk(raw.includes(encodeURIComponent(PASSWORD_AS_NAME)), 'nor URL-encoded')
  const failed = server.logs.entries().filter((e) => e.event === 'login_failed')
  t.equal(failed.length, 1, 'one line for the failure')
  t.match(failed[0], { account: 'unknown', ip: '127.0.0.1', msg: 'login failed' })
  t.notOk('username' in (failed[0] ?? {}), 'no username field at all')
  const tag = String(failed[0]?.usernameTag)
  t.match(tag, /^[0-9a-f]{16}$/, 'a 64-bit tag instead')
  t.notOk(
    createHash('sha256').update(PASSWORD_AS_NAME.toLowerCase()).digest('hex').startsWith(tag),
    'keyed: not a plain hash anyone could recompute from a guess'
  )
})

t.test('an operator can correlate repeated attempts with one unknown name, and tell names apart', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_USER_MAX: '10' })
  for (const name of [
    'mallory-guess',
    'Mallory-Guess',
    'another-name',
    'not a valid name!'
  ]) await postLogin(server, name, TEST_USER.password)
  const tags = server.logs.entries().filter((e) => e.event === 'login_failed').map((e) => e.usernameTag)
  t.equal(tags.length, 4)
  t.equal(tags[0], tags[1], 'the same name (in any case) has the same tag within a run')
  t.not(tags[2], tags[0], 'another name has another tag')
  t.ok(
    typeof tags[3] === 'string' && tags[3] !== tags[0] && tags[3] !== tags[2],
    'a name outside the rule gets a tag too'
  )
  t.equal(tags[0], unknownUsernameTag('mallory-guess'), 'the tag is the process\'s keyed hash of the name')
  t.notOk(server.logs.text.includes('mallory'), 'no name in the logs')
})

t.test('a known user\'s wrong password still names the user (by the stored name), ' +
  'and says the account exists', async (t) => {
  const server = await startTestServer(t)
  const wrong = 'not the password, typed by alice'
  t.equal((await postLogin(server, TEST_USER.username.toUpperCase(), wrong)).status, 401)
  const failed = server.logs.entries().filter((e) => e.event === 'login_failed')
  t.equal(failed.length, 1)
  t.match(failed[0], { account: 'known', username: TEST_USER.username, ip: '127.0.0.1' })
  t.notOk('usernameTag' in (failed[0] ?? {}), 'no tag for a known account')
  t.notOk(server.logs.text.includes(wrong), 'the wrong password is not logged')
})
