// Accounts across instances, when the fast path fails: a user removed while no instance ran
// (nobody saw the file change) or while Redis was paused (the ends could not be written) still
// cannot use the sessions they had; and concurrent logins on two instances never leave more than
// MAX_SESSIONS_PER_USER sessions.
import t from 'tap'
import { FileUsersStore } from '../../../src/accounts/file-users-store.js'
import { startCluster } from '../../helpers/cluster.js'
import { HeroClient, waitUntil } from '../../helpers/hero-client.js'
import { getWithSession, postLogin } from '../../helpers/http.js'
import { assertRefused } from '../../helpers/gate-refusals.js'
import { upgradeRequest } from '../../helpers/raw-handshake.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { TEST_USER } from '../../helpers/test-server.js'

t.test('a user removed while no instance was running: their old cookie opens nothing', async (t) => {
  const redis = await RedisServer.start(t)
  const first = await startCluster(t, 1, {}, redis)
  const [a] = first.instances
  if (a === undefined) return
  const sid = await a.login()
  await a.app.close()
  await (await FileUsersStore.open(first.usersFile)).remove(TEST_USER.username)
  const b = await first.add()
  t.ok(await b.sessions.get(sid), 'the session is still in Redis: no instance saw the removal')
  const page = await getWithSession(b, '/', sid)
  t.equal(page.status, 303, 'the hero page is refused')
  t.equal(page.headers.get('location'), '/login?notice=session_ended')
  await assertRefused(
    t,
    b,
    upgradeRequest(b, { sid }),
    { status: 401, reason: 'session_invalid', secrets: [sid] },
    'a socket is refused'
  )
  t.equal(await b.sessions.get(sid), undefined, 'and the stale session is ended for good')
})

t.test('a user removed while Redis was paused: the sockets close once it answers again', async (t) => {
  const redis = await RedisServer.start(t)
  const cluster = await startCluster(t, 2, { REDIS_TIMEOUT_MS: '300', SESSION_RECHECK_INTERVAL_MS: '500' }, redis)
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return
  const sid = await a.login()
  const socket = await HeroClient.open(t, b, sid)
  await socket.next()
  redis.pause()
  t.teardown(() => { try { redis.resume() } catch {} })
  await (await FileUsersStore.open(cluster.usersFile)).remove(TEST_USER.username)
  await waitUntil(
    () => a.logs.entries().some((e) => e.event === 'sessions_not_ended'),
    'the instances to fail to end the sessions',
    10_000
  )
  t.equal(socket.ws.readyState, socket.ws.OPEN, 'during the outage the socket is served')
  redis.resume()
  const closed = await socket.closed()
  // Which path gets there first depends on whether the end reached the paused Redis before its
  // command timed out (it then runs on SIGCONT and is published), or not (the re-check finds it).
  const reasons = b.logs.entries().filter((e) => e.event === 'ws_session_ended').map((e) => e.reason)
  t.same(
    closed,
    reasons[0] === 'user_removed' ? { code: 4410, reason: 'account_removed' } : { code: 4401, reason: 'session_ended' },
    'once Redis answers, the socket closes: 4410 as user_removed (or, by the re-check, 4401 for a session gone)'
  )
  t.ok(reasons[0] === 'user_removed' || reasons[0] === 'not_live', 'as user_removed or not_live')
  await waitUntil(() => b.app.services.stores.health?.reachable === true, 'B to reach Redis again')
  t.equal(
    await getWithSession(b, '/', sid).then((res) => res.headers.get('location')),
    '/login?notice=session_ended',
    'and the cookie opens nothing'
  )
})

t.test('concurrent logins on two instances leave at most MAX_SESSIONS_PER_USER sessions', async (t) => {
  const cluster = await startCluster(
    t,
    2,
    { MAX_SESSIONS_PER_USER: '2', LOGIN_RATE_IP_MAX: '100', LOGIN_RATE_USER_MAX: '100' }
  )
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return
  const logins = await Promise.all(Array.from({ length: 8 }, async (_v, i) => await postLogin(i % 2 === 0 ? a : b)))
  t.same([...new Set(logins.map((res) => res.status))], [303], 'every login succeeds')
  const left = await a.sessions.listUser(TEST_USER.username)
  t.ok(left.length <= 2, `${left.length} sessions left (at most 2)`)
  t.ok(left.length >= 1)
})
