// The login use case through the real app: a login whose password check waited while the account
// changed fails as a wrong password would; a login beyond MAX_SESSIONS_PER_USER ends the user's
// oldest session (and its socket); a hash made with other argon2 costs is brought to the
// configured ones on a successful login, without ending anything; a rehash that cannot be stored
// is logged and the login still succeeds; a hash of a password as typed (before NFC) still logs in
// and is replaced by one of the NFC form; a session store failing part-way changes nothing.
import argon2 from 'argon2'
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { FileUsersStore } from '../../src/accounts/file-users-store.js'
import { PasswordHasher } from '../../src/accounts/password-hasher.js'
import { HTTP_ERRORS, STORE_UNAVAILABLE_RETRY_AFTER_S, StoreUnavailableError } from '../../src/errors.js'
import { sessionKeyOf } from '../../src/stores/sessions/session-ids.js'
import { HeroClient } from '../helpers/hero-client.js'
import { postLogin, recordSessionEnds, sessionCount, setCookies } from '../helpers/http.js'
import { hashFor, startTestServer, TEST_USER, type TestServer } from '../helpers/test-server.js'

/** Holds every password check until the returned release() is called. */
function holdChecks (server: TestServer): { release: () => void, waiting: () => number } {
  const hasher = server.app.services.hasher
  const verify = hasher.verify.bind(hasher)
  let open: () => void = () => {}
  const gate = new Promise<void>((resolve) => { open = resolve })
  let waiting = 0
  hasher.verify = async (hash, password) => {
    const result = await verify(hash, password)
    waiting++
    await gate
    return result
  }
  return { release: open, waiting: () => waiting }
}

async function waitFor (condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

for (const [change, apply] of [
  ['given a new password', async (store: FileUsersStore) => {
    await store.put(
      { username: TEST_USER.username, hash: await hashFor('another password'), passwordSetAt: Date.now() }
    )
  }],
  ['removed', async (store: FileUsersStore) => { await store.remove(TEST_USER.username) }]
] as const) {
  t.test(`a login whose check waited while the user was ${change} fails like a wrong password`, async (t) => {
    const server = await startTestServer(t)
    const held = holdChecks(server)
    const pending = postLogin(server)
    await waitFor(() => held.waiting() === 1, 'the check to finish and wait')
    await apply(await FileUsersStore.open(server.usersFile)) // another process: the users CLI
    await new Promise((resolve) => setTimeout(resolve, 150)) // the server's watcher polls every 50 ms in tests
    held.release()
    const res = await pending
    t.equal(res.status, 401, 'refused')
    t.same(setCookies(res), [], 'no cookie')
    t.match(await res.text(), HTTP_ERRORS.login_failed.message, 'the same page as a wrong password')
    t.equal(await sessionCount(server), 0, 'no session')
  })
}

t.test('a login beyond MAX_SESSIONS_PER_USER ends the user\'s oldest session and closes its socket', async (t) => {
  const server = await startTestServer(t, { MAX_SESSIONS_PER_USER: '3' })
  const ends = recordSessionEnds(server)
  const oldest = await server.login()
  server.clock.advance(1000)
  const socket = await HeroClient.open(t, server, oldest)
  await socket.next()
  const others = []
  for (let i = 0; i < 2; i++) {
    server.clock.advance(1000)
    others.push(await server.login())
  }
  t.equal(await sessionCount(server), 3)
  server.clock.advance(1000)
  const newest = await server.login()
  t.same(await socket.closed(), { code: 4401, reason: 'session_ended' }, 'the oldest session\'s socket closes')
  t.same(ends.map((e) => e.reason), ['session_limit'])
  t.equal(await sessionCount(server), 3, 'still three')
  t.equal(await server.sessions.get(oldest), undefined, 'the oldest is gone')
  for (const sid of [...others, newest]) t.ok(await server.sessions.get(sid), 'the others live')
})

/** A users file holding TEST_USER hashed with other argon2 costs. */
async function withOtherCosts (t: Test): Promise<{ file: string, hash: string }> {
  const file = path.join(t.testdir({}), 'users.json')
  const hash = await new PasswordHasher({ memoryKiB: 19456, timeCost: 3, parallelism: 1 }).hash(TEST_USER.password)
  await FileUsersStore.create(file, [{ username: TEST_USER.username, hash, passwordSetAt: 1 }])
  return { file, hash }
}

t.test('a hash made with other costs is brought to the configured ones at a successful login', async (t) => {
  const { file, hash } = await withOtherCosts(t)
  const server = await startTestServer(t, {}, { usersFile: file })
  const ends = recordSessionEnds(server)
  const earlier = await server.login()
  const stored = (): { hash: string, passwordSetAt?: number } =>
    (JSON.parse(fs.readFileSync(file, 'utf8')) as { users: Array<{ hash: string, passwordSetAt?: number }> })
      .users[0] ?? { hash: '' }
  await waitFor(() => stored().hash !== hash, 'the rehash to be written')
  const costs = (phc: string): string => phc.split('$')[3]?.split(',').sort().join(',') ?? ''
  t.equal(costs(hash), 'm=19456,p=1,t=3', 'it was t=3')
  t.equal(costs(stored().hash), 'm=19456,p=1,t=2', 'now it is the configured t=2')
  t.equal(stored().passwordSetAt, 1, 'the same password: passwordSetAt kept')
  await new Promise((resolve) => setTimeout(resolve, 200)) // the watcher reloads the file
  t.same(ends, [], 'no session ended: a rehash is not a password change')
  t.ok(await server.sessions.get(earlier), 'the session is alive')
  t.equal((await postLogin(server)).status, 303, 'and the password still works')
})

t.test('a hash of a password as typed, made before passwords were normalised, still logs in and is replaced by ' +
  'one of its NFC form', async (t) => {
  const decomposed = 'cafe\u0301 au lait tous les matins' // é as e + a combining accent
  const composed = decomposed.normalize('NFC')
  const file = path.join(t.testdir({}), 'users.json')
  // What the users CLI stored before: the password as typed, at the configured costs.
  const hash = await argon2.hash(decomposed, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 })
  await FileUsersStore.create(file, [{ username: TEST_USER.username, hash, passwordSetAt: 1 }])
  const server = await startTestServer(t, {}, { usersFile: file })
  const ends = recordSessionEnds(server)
  const stored = (): string =>
    (JSON.parse(fs.readFileSync(file, 'utf8')) as { users: Array<{ hash: string }> }).users[0]?.hash ?? ''
  t.equal((await postLogin(server, TEST_USER.username, decomposed)).status, 303, 'the password as typed logs in')
  await waitFor(() => stored() !== hash, 'the NFC hash to be written')
  t.ok(await argon2.verify(stored(), composed), 'the stored hash is of the NFC form')
  t.notOk(await argon2.verify(stored(), decomposed), 'no longer of the form as typed')
  await new Promise((resolve) => setTimeout(resolve, 200)) // the watcher reloads the file
  t.equal((await postLogin(server, TEST_USER.username, composed)).status, 303, 'é typed as one code point logs in')
  t.equal((await postLogin(server, TEST_USER.username, decomposed)).status, 303, 'and as two')
  t.equal((await postLogin(server, TEST_USER.username, 'cafe au lait tous les matins')).status, 401, 'without it, not')
  t.same(ends, [], 'no session ended: the same password')
})

t.test('a rehash that cannot be stored is logged, and the login succeeds all the same', async (t) => {
  const { file, hash } = await withOtherCosts(t)
  const server = await startTestServer(t, {}, { usersFile: file })
  fs.mkdirSync(`${file}.lock`) // another writer holds the lock and never lets go
  const res = await postLogin(server)
  t.equal(res.status, 303, 'logged in')
  await waitFor(() => server.logs.entries().some((e) => e.event === 'rehash_failed'), 'the failure to be logged')
  t.match(server.logs.entries().find((e) => e.event === 'rehash_failed'), { level: 40, username: TEST_USER.username })
  t.notMatch(server.logs.text, TEST_USER.password, 'no password in the logs')
  t.equal(
    (JSON.parse(fs.readFileSync(file, 'utf8')) as { users: Array<{ hash: string }> }).users[0]?.hash,
    hash,
    'the file is unchanged'
  )
})

t.test('an older record (no passwordSetAt) with other costs is not rehashed: that would end its ' +
  'sessions', async (t) => {
  const file = path.join(t.testdir({}), 'users.json')
  const hash = await new PasswordHasher({ memoryKiB: 19456, timeCost: 3, parallelism: 1 }).hash(TEST_USER.password)
  await FileUsersStore.create(file, [{ username: TEST_USER.username, hash }])
  const server = await startTestServer(t, {}, { usersFile: file })
  const ends = recordSessionEnds(server)
  const sid = await server.login()
  await waitFor(() => server.logs.entries().some((e) => e.event === 'rehash_failed'), 'the skip to be logged')
  t.match(
    server.logs.entries().find((e) => e.event === 'rehash_failed'),
    { err: { message: /no passwordSetAt/ } },
    'says why and what to do'
  )
  t.equal(
    (JSON.parse(fs.readFileSync(file, 'utf8')) as { users: Array<{ hash: string }> }).users[0]?.hash,
    hash,
    'the hash is unchanged'
  )
  t.same(ends, [], 'nothing ended')
  t.ok(await server.sessions.get(sid))
})

// A shared store that fails part-way through a login: 503 store_unavailable, no cookie, the new
// session taken back, and the browser's own session untouched ("nothing was done").
for (const step of ['create', 'destroy'] as const) {
  t.test(`a session store that fails at ${step} during a login: 503, no cookie, nothing changed`, async (t) => {
    const server = await startTestServer(t)
    const previous = await server.login()
    const ends = recordSessionEnds(server)
    const restore = failSessionStore(server, step, (args) => step !== 'destroy' || args[0] === previous)
    const res = await postLogin(server, TEST_USER.username, TEST_USER.password, { cookie: `__Host-sid=${previous}` })
    restore()
    t.equal(res.status, 503)
    t.equal(res.headers.get('retry-after'), String(STORE_UNAVAILABLE_RETRY_AFTER_S))
    t.same(setCookies(res), [], 'no cookie')
    t.match(await res.text(), 'cannot reach its session store', 'a human message')
    t.equal(await sessionCount(server), 1, 'no session left behind')
    t.ok(await server.sessions.get(previous), 'the browser keeps the session it had')
    t.notOk(ends.some((e) => e.session.key === sessionKeyOf(previous)), 'it was not ended')
  })
}

t.test('a store that fails while ending the oldest sessions does not undo the login: logged, enforced at the ' +
  'next', async (t) => {
  const server = await startTestServer(t, { MAX_SESSIONS_PER_USER: '1' })
  const first = await server.login()
  const restore = failSessionStore(server, 'listUser', () => true)
  const res = await postLogin(server)
  restore()
  t.equal(res.status, 303, 'logged in')
  t.equal(await sessionCount(server), 2, 'one over the limit for now')
  t.ok(await server.sessions.get(first), 'nothing was ended half-way')
  t.match(
    server.logs.entries().find((e) => e.event === 'session_limit_not_enforced'),
    { level: 40, username: TEST_USER.username },
    'logged as a warning'
  )
  await server.login()
  t.equal(await sessionCount(server), 1, 'the next login brings it back to the limit')
})

/**
 * Makes `step` of the server's session store reject with StoreUnavailableError when `fails` says so; returns the undo.
 */
function failSessionStore (
  server: TestServer,
  step: 'create' | 'destroy' | 'listUser',
  fails: (args: unknown[]) => boolean
): () => void {
  const store = server.app.services.sessions
  const real = store[step].bind(store) as (...args: unknown[]) => Promise<unknown>
  store[step] = (async (...args: unknown[]) => {
    if (fails(args)) throw new StoreUnavailableError(step, new Error('Command timed out'))
    return await real(...args)
  }) as never
  return () => { store[step] = real as never }
}

t.test('a name in any case logs in to the one account: the session, the per-user limits and the slots are ' +
  'alice\'s', async (t) => {
  const server = await startTestServer(t, { MAX_SESSIONS_PER_USER: '2', WS_MAX_CONNECTIONS_PER_USER: '1' })
  const ends = recordSessionEnds(server)
  const first = await server.login('ALICE')
  server.clock.advance(1000)
  const second = await server.login('Alice')
  t.same(
    (await server.sessions.listUser(TEST_USER.username)).map((s) => s.username),
    ['alice', 'alice'],
    'both sessions are alice\'s, by her stored name'
  )
  t.equal((await server.sessions.listUser('ALICE')).length, 0, 'no session under the name as typed')
  t.equal(
    server.logs.entries().filter((e) => e.event === 'login_succeeded' && e.username === 'alice').length,
    2,
    'the log names alice'
  )

  const socket = await HeroClient.open(t, server, second)
  await socket.next()
  const refused = await HeroClient.open(t, server, first).then(() => 'open', (err: Error) => err.message)
  t.match(refused, /429/, 'WS_MAX_CONNECTIONS_PER_USER counts both spellings as one user')

  server.clock.advance(1000)
  await server.login('aLiCe')
  t.equal(await sessionCount(server), 2, 'MAX_SESSIONS_PER_USER counts every spelling as one user')
  t.match(ends, [{ session: { username: 'alice' }, reason: 'session_limit' }], 'the oldest (the ALICE login) was ended')
})
