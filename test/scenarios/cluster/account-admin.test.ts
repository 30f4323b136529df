// The users CLI and the change-password page against two instances on one Redis: what an operator
// (disable, enable, reset) or the person (a password change on one instance) does reaches every
// instance: sockets close with 4401 wherever they are, and every instance answers logins the same.
import t from 'tap'
import { startCluster } from '../../helpers/cluster.js'
import { openAuthorised, waitUntil } from '../../helpers/hero-client.js'
import { builtFile, getWithSession, postForm, postLogin, runNode, sessionIdOf } from '../../helpers/http.js'
import { TEST_USER } from '../../helpers/test-server.js'

const CLI = builtFile('dist/src/cli/users-cli.js')
const ENDED = { code: 4401, reason: 'session_ended' }

t.test('disable on the CLI closes the socket on another instance and every instance refuses the login; ' +
  'enable lets it in again', async (t) => {
  const cluster = await startCluster(t, 2, { LOGIN_RATE_USER_MAX: '100' })
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return
  const socket = await openAuthorised(t, b, await a.login())
  const disabled = await runNode(CLI, ['disable', 'alice'], { USERS_FILE: cluster.usersFile })
  t.equal(disabled.code, 0, disabled.stderr)
  t.same(await socket.closed(), ENDED, 'the socket on B closes with 4401')
  await waitUntil(async () => (await b.users.get('alice'))?.disabled === true, 'B to read the file')
  for (const instance of [a, b]) t.equal((await postLogin(instance)).status, 401, 'the login is refused')
  t.equal((await runNode(CLI, ['enable', 'alice'], { USERS_FILE: cluster.usersFile })).code, 0)
  await waitUntil(async () => (await a.users.get('alice'))?.disabled === undefined, 'A to read the file')
  await waitUntil(async () => (await b.users.get('alice'))?.disabled === undefined, 'B to read the file')
  for (const instance of [a, b]) t.equal((await postLogin(instance)).status, 303, 'the login works again')
})

t.test('reset issues a one-time password on every instance; the change on A ends B\'s socket, the new ' +
  'password works on B and the old fails', async (t) => {
  const cluster = await startCluster(t, 2, { LOGIN_RATE_USER_MAX: '100' })
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return
  const issued = 'an issued password for her'
  const reset = await runNode(CLI, ['reset', 'alice'], { USERS_FILE: cluster.usersFile }, issued)
  t.equal(reset.code, 0, reset.stderr)
  for (const instance of [a, b]) {
    await waitUntil(async () => (await instance.users.get('alice'))?.mustChangeBy !== undefined, 'the file read')
  }
  const onB = sessionIdOf(await postLogin(b, 'alice', issued)) ?? ''
  t.equal((await getWithSession(b, '/', onB)).headers.get('location'), '/account/password', 'B sends it to the form')
  const onA = sessionIdOf(await postLogin(a, 'alice', issued)) ?? ''
  const chosen = 'a passphrase she chose herself'
  const changed = await postForm(a, '/account/password', {
    currentPassword: issued, newPassword: chosen, repeatPassword: chosen
  }, { cookie: `__Host-sid=${onA}`, 'sec-fetch-site': 'same-origin' })
  t.equal(changed.status, 200)
  t.match(await changed.text(), 'Your other session has ended')
  const fresh = sessionIdOf(changed) ?? ''
  t.equal((await getWithSession(b, '/', onB)).headers.get('location'), '/login?notice=session_ended',
    'the session on B is over')
  t.equal((await getWithSession(b, '/', fresh)).status, 200, 'the new session opens the hero page on B')
  const socket = await openAuthorised(t, b, fresh, 'alice')
  await waitUntil(async () => (await b.users.get('alice'))?.mustChangeBy === undefined, 'B to read the change')
  t.equal((await postLogin(b, 'alice', TEST_USER.password)).status, 401, 'the very first password fails')
  t.equal((await postLogin(b, 'alice', issued)).status, 401, 'the issued one fails')
  t.equal((await postLogin(b, 'alice', chosen)).status, 303, 'the chosen one works on B')
  t.equal(socket.ws.readyState, socket.ws.OPEN, 'and B, reading the change later, leaves the new session alone')
})
