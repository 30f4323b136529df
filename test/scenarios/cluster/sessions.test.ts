// Sessions shared by several instances on one real Redis: a login on A opens a socket on B, a
// logout on A closes it on B with 4401, activity on B keeps the session alive for A, the absolute
// timeout holds whatever the activity, a password change ends the user's sockets on every
// instance (each watching the same users file), and restarting an instance logs nobody out.
import t from 'tap'
import { FileUsersStore } from '../../../src/accounts/file-users-store.js'
import { startCluster } from '../../helpers/cluster.js'
import { openAuthorised, waitUntil } from '../../helpers/hero-client.js'
import { getWithSession, postForm } from '../../helpers/http.js'
import { assertRefused } from '../../helpers/gate-refusals.js'
import { upgradeRequest } from '../../helpers/raw-handshake.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { hashFor, restartTestServer, TEST_USER, type TestServer } from '../../helpers/test-server.js'

const SESSION_ENDED = { code: 4401, reason: 'session_ended' }
const redis = await RedisServer.start(t)

/** How each instance learnt of session ends: the ws_session_ended entries' [reason, source]. */
function closes (server: TestServer): unknown[][] {
  return server.logs.entries().filter((e) => e.event === 'ws_session_ended').map((e) => [e.reason, e.source])
}

t.test('login on A, socket on B, logout on A: B closes it with 4401 as soon as it hears', async (t) => {
  const { instances: [a, b] } = await startCluster(t, 2, {}, redis)
  if (a === undefined || b === undefined) return
  const sid = await a.login()
  t.equal((await getWithSession(b, '/', sid)).status, 200, 'B opens the hero page with A\'s cookie')
  const onB = await openAuthorised(t, b, sid, TEST_USER.username)
  t.match(await onB.request({ type: 'get_name', id: 1, hero: 'ironMan' }), { type: 'name', hero_name: 'Tony Stark' })
  const res = await postForm(a, '/logout', {}, { cookie: `__Host-sid=${sid}` })
  t.equal(res.status, 303)
  t.same(await onB.closed(), SESSION_ENDED, 'B\'s socket: 4401')
  t.same(closes(b), [['logout', 'publish']], 'B heard it published')
  t.same(closes(a), [], 'A had no socket of that session')
  await waitUntil(() => b.app.websocket.connections.size === 0, 'B to forget the socket')
  await assertRefused(
    t,
    b,
    upgradeRequest(b, { sid }),
    { status: 401, reason: 'session_invalid', secrets: [sid] },
    'the old cookie on B'
  )
  t.equal((await getWithSession(a, '/', sid)).status, 303, 'and on A')
})

t.test('activity on B keeps the session alive for A; without it the idle timeout ends it everywhere', async (t) => {
  const cluster = await startCluster(t, 2, { SESSION_IDLE_TIMEOUT_S: '60', SESSION_ABSOLUTE_TIMEOUT_S: '3600' }, redis)
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return
  const sid = await a.login()
  const onB = await openAuthorised(t, b, sid, TEST_USER.username)
  for (let at = 50; at <= 200; at += 50) {
    cluster.clock.advance(50_000)
    t.match(await onB.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' }, `${at} s: a message on B`)
    await a.sweepSessions()
    t.ok(await a.sessions.get(sid), `${at} s: A still sees the session (idle 60 s, used on B)`)
  }
  cluster.clock.advance(60_000)
  await a.sweepSessions()
  t.same(await onB.closed(), SESSION_ENDED, '60 s after B\'s last message, A\'s sweep ends it and B closes the socket')
  t.same(closes(b), [['idle_timeout', 'publish']])
})

t.test('the absolute timeout holds on every instance, however busy the socket', async (t) => {
  const cluster = await startCluster(t, 2, { SESSION_IDLE_TIMEOUT_S: '60', SESSION_ABSOLUTE_TIMEOUT_S: '120' }, redis)
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return
  const sid = await a.login()
  const onA = await openAuthorised(t, a, sid, TEST_USER.username)
  const onB = await openAuthorised(t, b, sid, TEST_USER.username)
  for (const step of [40_000, 40_000, 39_999]) {
    cluster.clock.advance(step)
    t.match(await onB.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' })
    await b.sweepSessions()
  }
  t.ok(await a.sessions.get(sid), '119.999 s: alive')
  cluster.clock.advance(1)
  await b.sweepSessions()
  t.same(await onB.closed(), SESSION_ENDED, '120 s: B closes its socket')
  t.same(await onA.closed(), SESSION_ENDED, 'and A its own')
  t.same(closes(a), [['absolute_timeout', 'publish']])
  t.same(closes(b), [['absolute_timeout', 'local']])
})

t.test('a password change in the shared users file ends the user\'s sockets on every instance, once', async (t) => {
  const cluster = await startCluster(t, 3, {}, redis)
  const [a, b, c] = cluster.instances
  if (a === undefined || b === undefined || c === undefined) return
  const sids = [await a.login(), await b.login()]
  const sockets = [
    await openAuthorised(t, a, sids[0] ?? ''),
    await openAuthorised(t, b, sids[1] ?? ''),
    await openAuthorised(t, c, sids[0] ?? '')
  ]
  const ends = { local: 0, publish: 0 }
  for (const instance of cluster.instances) instance.sessions.onEnd((end) => { ends[end.source]++ })
  // Another process (the users CLI, a re-mounted Secret) rewrites the file all three watch.
  const other = await FileUsersStore.open(cluster.usersFile)
  const newHash = await hashFor('a brand new password')
  await other.put({ username: TEST_USER.username, hash: newHash })
  for (const socket of sockets) t.same(await socket.closed(), SESSION_ENDED)
  await waitUntil(() => ends.local + ends.publish === 6, 'each instance to hear of both ends')
  t.same(ends, { local: 2, publish: 4 }, 'two sessions ended once each, wherever the three instances raced to end them')
  t.equal(await a.sessions.listUser(TEST_USER.username).then((s) => s.length), 0)
  // The sockets close when the first instance notices; each reads the file at its own next poll.
  await waitUntil(
    async () => (await b.users.get(TEST_USER.username))?.hash === newHash,
    'instance B to read the new password'
  )
  t.equal(
    (await postForm(b, '/login', { username: TEST_USER.username, password: 'a brand new password' })).status,
    303,
    'the new password works on any instance'
  )
})

t.test('restarting an instance logs nobody out: the same cookie works on it and on the others', async (t) => {
  const cluster = await startCluster(t, 2, {}, redis)
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return
  const sid = await a.login()
  const socket = await openAuthorised(t, a, sid, TEST_USER.username)
  const restarted = await restartTestServer(t, a)
  t.same(
    await socket.closed(),
    { code: 1001, reason: 'server_shutting_down' },
    'the restart closes the socket with 1001'
  )
  await waitUntil(() => restarted.app.services.stores.health?.reachable === true, 'the new instance to reach Redis')
  t.equal((await getWithSession(restarted, '/', sid)).status, 200, 'the restarted instance knows the session')
  const again = await openAuthorised(t, restarted, sid, TEST_USER.username)
  t.match(await again.request({ type: 'get_name', hero: 'batMan' }), { type: 'name', hero_name: 'Bruce Wayne' })
  t.equal((await getWithSession(b, '/', sid)).status, 200, 'and so does the other one')
})
