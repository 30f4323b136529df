// The users CLI as a real process (dist/src/cli/users-cli.js): add with the password on stdin
// (one-time, or lasting with --permanent), reset, disable, enable, list, remove, owner-only file,
// OWASP argon2id parameters, refusals with exit code 2 (a common password, one holding the
// username or a hero's name, each with its reason), and what each does to a running server
// watching the same file (a user it adds logs in; disable ends the sessions...).
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { FileUsersStore } from '../../src/accounts/file-users-store.js'
import { MAX_USERNAME_LENGTH } from '../../src/accounts/account-rules.js'
import { ONE_TIME_PASSWORD_LIFETIME_MS } from '../../src/account-limits.js'
import {
  builtFile, countVerifies, getWithSession, postLogin, runNode, sessionCount, sessionIdOf
} from '../helpers/http.js'
import { openAuthorised, waitUntil } from '../helpers/hero-client.js'
import { hashFor, startTestServer, TEST_USER } from '../helpers/test-server.js'

const CLI = builtFile('dist/src/cli/users-cli.js')
const BOB_PASSWORD = 'bob has a long password'

/** What add and reset say of a one-time password: when it must be used by, 72 hours on. */
function oneTime (done: string): RegExp {
  return new RegExp(`^${done} with a one-time password: it must be changed at the first login, which must come ` +
    'before \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z \\(72 h\\)\\n$')
}

/** Runs the CLI on `file` with `args`, piping `stdin` (the password for add). */
function users (file: string, args: readonly string[], stdin = ''): ReturnType<typeof runNode> {
  return runNode(CLI, args, { USERS_FILE: file }, stdin)
}

/** The argon2id parameters of a PHC string, whatever order the library writes them in. */
function argon2Params (hash: string): Record<string, string> {
  const [, id, version, params] = hash.split('$')
  return {
    id: id ?? '',
    version: version ?? '',
    ...Object.fromEntries((params ?? '').split(',').map((p) => p.split('=')))
  }
}

t.test('add, list and remove round-trip through an owner-only file', async (t) => {
  const file = path.join(t.testdir({}), 'data', 'users.json')
  const added = await users(file, ['add', 'bob'], `${BOB_PASSWORD}\n`)
  t.equal(added.code, 0, added.stderr)
  t.match(added.stdout, oneTime('added bob'))
  t.notMatch(added.stdout + added.stderr, BOB_PASSWORD, 'the password is not echoed')
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'the users file is 0600')

  const content = JSON.parse(fs.readFileSync(file, 'utf8')) as { users: Array<{ username: string, hash: string }> }
  t.equal(content.users.length, 1)
  const hash = content.users[0]?.hash ?? ''
  t.match(hash, /^\$argon2id\$v=19\$/, 'an argon2id v1.3 hash')
  t.same(
    argon2Params(hash),
    { id: 'argon2id', version: 'v=19', m: '19456', t: '2', p: '1' },
    'the OWASP minimum parameters'
  )
  t.notMatch(fs.readFileSync(file, 'utf8'), BOB_PASSWORD)

  const listed = await users(file, ['list'])
  t.equal(listed.code, 0)
  t.equal(listed.stdout, 'bob\n')

  const updated = await users(file, ['add', 'bob'], 'another long password')
  t.match(updated.stdout, oneTime('updated bob'))
  t.not(JSON.parse(fs.readFileSync(file, 'utf8')).users[0].hash, hash, 'a new hash')

  const removed = await users(file, ['remove', 'bob'])
  t.equal(removed.code, 0, removed.stderr)
  t.equal(removed.stdout, 'removed bob\n')
  t.equal((await users(file, ['list'])).stdout, '')
  t.equal(fs.statSync(file).mode & 0o777, 0o600)
})

t.test('no look-alike accounts: add Alice beside alice is refused; ' +
  'remove and update find alice in any case', async (t) => {
  const file = path.join(t.testdir({}), 'users.json')
  t.equal((await users(file, ['add', 'alice'], BOB_PASSWORD)).code, 0)
  const before = fs.readFileSync(file, 'utf8')
  for (const name of ['Alice', 'ALICE']) {
    const refused = await users(file, ['add', name], 'another long password')
    t.equal(refused.code, 2, `${name}: exit code 2`)
    t.match(
      refused.stderr,
      /^users: a user alice exists \(usernames are compared ignoring case\)/,
      `${name}: says which account is in the way`
    )
    t.equal(refused.stdout, '')
  }
  t.equal(fs.readFileSync(file, 'utf8'), before, 'the users file is unchanged')
  t.equal((await users(file, ['list'])).stdout, 'alice\n')
  t.match(
    (await users(file, ['add', 'alice'], 'another long password')).stdout,
    oneTime('updated alice'),
    'the exact name still updates'
  )
  const removed = await users(file, ['remove', 'ALICE'])
  t.equal(removed.code, 0, removed.stderr)
  t.equal(removed.stdout, 'removed alice\n', 'remove finds alice, and names her as stored')
  t.equal((await users(file, ['list'])).stdout, '')
})

t.test('list without a users file prints nothing and creates nothing', async (t) => {
  const file = path.join(t.testdir({}), 'users.json')
  const listed = await users(file, ['list'])
  t.equal(listed.code, 0)
  t.equal(listed.stdout, '')
  t.notOk(fs.existsSync(file))
})

const refusals: Array<{ name: string, args: string[], stdin?: string, message: RegExp }> = [
  { name: 'a bad username', args: ['add', 'bad name!'], stdin: BOB_PASSWORD, message: /username is 1 to 64/ },
  {
    name: 'a 65-character username',
    args: ['add', 'b'.repeat(65)],
    stdin: BOB_PASSWORD,
    message: /username is 1 to 64/
  },
  { name: 'an unknown user', args: ['remove', 'carol'], message: /no user carol/ },
  {
    name: 'a short password',
    args: ['add', 'bob'],
    stdin: 'not quite 15\n',
    message: /This password is too short: use at least 15 characters\. .*\(In full: a password is 15 characters or more/
  },
  {
    name: 'a password over 1024 characters',
    args: ['add', 'bob'],
    stdin: 'p'.repeat(1025),
    message: /This password is too long: at most 1024 bytes.*\(In full: .*at most 1024 bytes in UTF-8/
  },
  {
    name: 'a password over 1024 bytes (257 emoji)',
    args: ['add', 'bob'],
    stdin: '😀'.repeat(257),
    message: /This password is too long: at most 1024 bytes.*\(In full: .*at most 1024 bytes in UTF-8/
  },
  {
    name: 'a password of 14 emoji (28 UTF-16 units)',
    args: ['add', 'bob'],
    stdin: '😀'.repeat(14),
    message: /This password is too short: use at least 15 characters/
  },
  {
    name: 'a password with a line break inside (no login form can carry it)',
    args: ['add', 'bob'],
    stdin: 'correct horse\nbattery staple\n',
    message: /This password holds a character the login form cannot carry .*\(In full: .*no control characters/
  },
  { name: 'no command', args: [], message: /usage/ },
  { name: 'an unknown command', args: ['delete', 'bob'], message: /usage/ },
  { name: 'extra arguments', args: ['add', 'bob', 'carol'], message: /usage/ }
]

t.test('refusals exit 2 with a message and change nothing', async (t) => {
  const dir = t.testdir({})
  const file = path.join(dir, 'users.json')
  await FileUsersStore.create(file, [{ username: 'alice', hash: await hashFor('alice long password') }])
  const before = fs.readFileSync(file, 'utf8')
  // Independent of each other: run side by side, as process start-up is most of the cost.
  const results = await Promise.all(refusals.map(({ args, stdin }) => users(file, args, stdin)))
  refusals.forEach(({ name, message }, i) => {
    const result = results[i]
    t.equal(result?.code, 2, `${name}: exit code 2`)
    t.match(result?.stderr, /^users: /, `${name}: a users: message`)
    t.match(result?.stderr, message, `${name}: says why`)
    t.notMatch(result?.stderr, /\n\s+at /, `${name}: a message, not a stack trace`)
    t.equal(result?.stdout, '', `${name}: nothing on stdout`)
  })
  t.equal(fs.readFileSync(file, 'utf8'), before, 'the users file is unchanged')
  t.same(fs.readdirSync(dir), ['users.json'], 'no other file created')
})

/** Refusals by the password rules beyond length: each names its reason in the registry's words. */
const ruleRefusals: Array<{ name: string, args: string[], stdin: string, message: RegExp }> = [
  {
    name: 'a common password',
    args: ['add', 'bob'],
    stdin: 'password1\n',
    message: /^users: This password is on a list of commonly used or breached passwords\. \(In full: /
  },
  {
    name: 'a common password of 20 characters, in capitals',
    args: ['add', 'bob'],
    stdin: '1Q2W3E4R5T6Y7U8I9O0P',
    message: /^users: This password is on a list of commonly used or breached passwords\./
  },
  {
    name: 'a password containing the username',
    args: ['add', 'robert'],
    stdin: 'my name is Robert and this is long',
    message: /^users: This password contains your username\./
  },
  {
    name: 'a password containing a hero\'s name',
    args: ['add', 'bob'],
    stdin: 'I am Iron Man, a long password',
    message: /^users: This password contains the name of this service or of one of its heroes\./
  }
]

t.test('a common password, or one holding the username or a hero, is refused with the reason', async (t) => {
  const file = path.join(t.testdir({}), 'users.json')
  for (const { name, args, stdin, message } of ruleRefusals) {
    const result = await users(file, args, stdin) // one at a time: each reads the common-password list
    t.equal(result.code, 2, `${name}: exit code 2`)
    t.match(result.stderr, message, `${name}: says why`)
    t.equal(result.stdout, '', `${name}: nothing on stdout`)
  }
  t.notOk(fs.existsSync(file), 'no users file created')
})

t.test('a broken users file exits 2 with a message and is left as it is', async (t) => {
  const file = path.join(t.testdir({ 'users.json': '{ half a file' }), 'users.json')
  const [listed, added] = await Promise.all([users(file, ['list']), users(file, ['add', 'bob'], BOB_PASSWORD)])
  for (const result of [listed, added]) {
    t.equal(result.code, 2)
    t.match(result.stderr, /^users: .*not valid JSON/)
    t.notMatch(result.stderr, /\n\s+at /, 'a message, not a stack trace')
  }
  t.equal(fs.readFileSync(file, 'utf8'), '{ half a file')
})

t.test('a user added by the CLI can log in to a running server watching the file', async (t) => {
  const server = await startTestServer(t)
  const added = await users(server.usersFile, ['add', 'bob'], BOB_PASSWORD)
  t.equal(added.code, 0, added.stderr)
  // The server polls the file (every 50 ms in tests); wait until it has read bob, at most 5 s.
  const deadline = Date.now() + 5000
  while (await server.users.get('bob') === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  const res = await postLogin(server, 'bob', BOB_PASSWORD)
  t.equal(res.status, 303, 'bob logs in')
  t.equal(await sessionCount(server, 'bob'), 1)
  t.equal((await postLogin(server)).status, 303, 'alice still logs in')
  t.same((await users(server.usersFile, ['list'])).stdout, `${TEST_USER.username}\nbob\n`)
})

t.test('every password the CLI sets can log in: non-ASCII passwords at the bound log in through the form; ' +
  'one past it both refuse', async (t) => {
  const server = await startTestServer(t)
  const verifies = countVerifies(server)
  // The longest name with the longest password of each width: the worst case the form must carry.
  const cases = [['é', 512], ['漢', 341], ['😀', 256]].map(
    ([char, count], i) => ({
      name: `${'w'.repeat(MAX_USERNAME_LENGTH - 1)}${i}`,
      char: String(char),
      count: Number(count)
    })
  )
  for (const { name, char, count } of cases) {
    const added = await users(server.usersFile, ['add', name], char.repeat(count))
    t.equal(
      added.code,
      0,
      `${count} × ${char} (${Buffer.byteLength(char.repeat(count))} bytes) is set: ${added.stderr}`
    )
    const past = await users(server.usersFile, ['add', `past${count}`], char.repeat(count + 1))
    t.equal(past.code, 2, `${count + 1} × ${char} is refused by the CLI`)
    t.match(past.stderr, /at most 1024 bytes in UTF-8/, 'saying what the limit is')
  }
  await waitUntil(
    async () => (await server.users.list()).length === 1 + cases.length,
    'the server to read the new users'
  )
  for (const { name, char, count } of cases) {
    const res = await postLogin(server, name, char.repeat(count))
    t.equal(res.status, 303, `${count} × ${char}: logs in through the form`)
    t.equal(await sessionCount(server, name), 1)
    const past = await postLogin(server, name, char.repeat(count + 1))
    t.equal(past.status, 400, `${count + 1} × ${char}: refused by the login`)
    t.match(await past.text(), 'passwords up to 1024 bytes', 'saying what the limit is')
  }
  t.equal(verifies.calls, cases.length, 'argon2 ran for the logins at the bound only')
})

t.test('two CLI runs at once (add one user while removing another) never lose either change', async (t) => {
  const file = path.join(t.testdir({}), 'users.json')
  await FileUsersStore.create(file, [{ username: 'mallory', hash: await hashFor('mallory password') }])
  for (let round = 1; round <= 4; round++) {
    const newcomer = `bob${round}`
    const leaving = round === 1 ? 'mallory' : `bob${round - 1}`
    const [added, removed] = await Promise.all([
      users(file, ['add', newcomer], `${BOB_PASSWORD}\n`),
      users(file, ['remove', leaving])
    ])
    t.equal(added.code, 0, `round ${round}: add ${newcomer}: ${added.stderr}`)
    t.equal(removed.code, 0, `round ${round}: remove ${leaving}: ${removed.stderr}`)
    const names = (JSON.parse(
      fs.readFileSync(file, 'utf8')
    ) as { users: Array<{ username: string }> }).users.map((u) => u.username)
    t.same(names, [newcomer], `round ${round}: both changes are in the file`)
  }
  t.same(fs.readdirSync(path.dirname(file)).sort(), ['users.json'], 'no lock or temp file left behind')
})

/** The record of `name` in the users file as written. */
function recordIn (file: string, name: string): Record<string, unknown> | undefined {
  const content = JSON.parse(fs.readFileSync(file, 'utf8')) as { users: Array<Record<string, unknown>> }
  return content.users.find((u) => u.username === name)
}

t.test('add issues a one-time password for 72 h; --permanent a lasting one, saying so; reset needs an account ' +
  'and keeps it disabled; disable and enable keep the password', async (t) => {
  const file = path.join(t.testdir({}), 'users.json')
  const before = Date.now()
  t.equal((await users(file, ['add', 'bob'], BOB_PASSWORD)).code, 0)
  const bob = recordIn(file, 'bob')
  t.ok(typeof bob?.mustChangeBy === 'number' && bob.mustChangeBy >= before + ONE_TIME_PASSWORD_LIFETIME_MS &&
    bob.mustChangeBy <= Date.now() + ONE_TIME_PASSWORD_LIFETIME_MS, 'bob must change it within 72 h')
  const lasting = await users(file, ['add', 'carol', '--permanent'], 'the lasting one is long enough')
  t.equal(lasting.stdout, 'added carol with a lasting password (--permanent): no change is asked at login\n')
  t.equal(recordIn(file, 'carol')?.mustChangeBy, undefined, 'carol\'s password lasts')
  const unknown = await users(file, ['reset', 'dave'], 'the lasting one is long enough')
  t.equal(unknown.code, 2)
  t.equal(unknown.stderr, 'users: no user dave\n')
  t.equal(recordIn(file, 'dave'), undefined, 'reset adds nobody')

  const disabled = await users(file, ['disable', 'CAROL'])
  t.equal(disabled.stdout, 'disabled carol: logins are refused and its sessions end (the account and its password ' +
    'are kept)\n')
  t.match(recordIn(file, 'carol'), { disabled: true, hash: /^\$argon2id\$/ })
  const reset = await users(file, ['reset', 'carol'], 'another long secret to share')
  t.match(reset.stdout, oneTime('updated carol'))
  t.match(recordIn(file, 'carol'), { disabled: true, mustChangeBy: Number }, 'a reset keeps the account disabled')
  const enabled = await users(file, ['enable', 'carol'])
  t.equal(enabled.stdout, 'enabled carol: logins with its password work again\n')
  t.equal(recordIn(file, 'carol')?.disabled, undefined)
  for (const args of [['disable', 'dave'], ['enable', 'dave']]) {
    const refused = await users(file, args)
    t.equal(refused.code, 2, args.join(' '))
    t.equal(refused.stderr, 'users: no user dave\n')
  }
  for (const args of [['remove', 'bob', '--permanent'], ['disable', '--permanent', 'bob'], ['list', '--permanent']]) {
    const refused = await users(file, args)
    t.equal(refused.code, 2, `${args.join(' ')}: --permanent is for add and reset`)
    t.match(refused.stderr, /^users: usage: npm run users -- add <name> \[--permanent\] \| reset <name>/)
  }
  t.ok(recordIn(file, 'bob'), 'bob is still there')
})

t.test('against a running server: disable ends the sessions and refuses the password as a wrong one; enable ' +
  'lets it in; reset issues a password that leads to the change form', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_USER_MAX: '100' })
  const sid = await server.login()
  const socket = await openAuthorised(t, server, sid)
  const wrong = await (await postLogin(server, TEST_USER.username, 'not the password at all')).text()
  const disabled = await users(server.usersFile, ['disable', 'alice'])
  t.equal(disabled.code, 0, disabled.stderr)
  t.same(await socket.closed(), { code: 4401, reason: 'session_ended' }, 'the socket closes with 4401')
  t.equal(await server.sessions.get(sid), undefined, 'the session is over')
  t.ok(server.logs.entries().some((e) => e.event === 'ws_session_ended' && e.reason === 'account_disabled'))
  const refused = await postLogin(server)
  t.equal(refused.status, 401, 'the right password is refused')
  t.equal(await refused.text(), wrong, 'with the wrong password\'s page, byte for byte')
  t.match(server.logs.entries().filter((e) => e.event === 'login_failed').at(-1), { reason: 'account_disabled' })
  t.equal(await sessionCount(server), 0)

  t.equal((await users(server.usersFile, ['enable', 'alice'])).code, 0)
  await waitUntil(async () => (await server.users.get('alice'))?.disabled === undefined, 'the server to read it')
  const back = await postLogin(server)
  t.equal(back.status, 303, 'alice logs in again, with the same password')
  const old = sessionIdOf(back) ?? ''

  const reset = await users(server.usersFile, ['reset', 'alice'], 'an issued password for her')
  t.equal(reset.code, 0, reset.stderr)
  await waitUntil(async () => (await server.users.get('alice'))?.mustChangeBy !== undefined, 'the server to read it')
  await waitUntil(async () => await server.sessions.get(old) === undefined, 'the session of the old password to end')
  const issued = await postLogin(server, 'alice', 'an issued password for her')
  t.equal(issued.status, 303)
  const page = await getWithSession(server, '/', sessionIdOf(issued))
  t.equal(page.headers.get('location'), '/account/password', 'the issued password leads to the change form')
})
