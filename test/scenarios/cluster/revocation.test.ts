// Revocation when the fast path fails: a session end that an instance never hears (its pub/sub
// connection killed with CLIENT KILL TYPE pubsub while the end is published; a session deleted
// without a word; Redis restarted empty) still closes that instance's sockets with 4401, by the
// session re-check: at once after the reconnect, or within SESSION_RECHECK_INTERVAL_MS.
import t from 'tap'
import { startCluster } from '../../helpers/cluster.js'
import { openAuthorised, waitUntil } from '../../helpers/hero-client.js'
import { postForm } from '../../helpers/http.js'
import { assertNoSocketOutlivedLogout, raceLogoutWithHandshakes } from '../../helpers/logout-race.js'
import { RedisServer } from '../../helpers/redis-server.js'
import type { TestServer } from '../../helpers/test-server.js'

const SESSION_ENDED = { code: 4401, reason: 'session_ended' }
/** Limits out of the way of a race of 80 handshakes from one address with one session. */
const RACE_LIMITS = {
  WS_HANDSHAKE_BURST: '1000',
  WS_REFUSED_HANDSHAKE_BURST: '1000',
  WS_MAX_CONNECTIONS_PER_IP: '1000',
  WS_MAX_CONNECTIONS_PER_USER: '1000'
}

function closes (server: TestServer): unknown[][] {
  return server.logs.entries().filter((e) => e.event === 'ws_session_ended').map((e) => [e.reason, e.source])
}

t.test('a logout published while B\'s pub/sub connection is down: B closes the socket when it is back', async (t) => {
  const cluster = await startCluster(t, 2)
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return
  const sid = await a.login()
  const socket = await openAuthorised(t, b, sid)
  const admin = cluster.redis.client(t)
  t.ok(Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')) >= 2, 'every pub/sub connection killed')
  await waitUntil(() => b.app.services.stores.health?.listening === false, 'B to notice (its subscription is gone)')
  t.equal(
    (await postForm(a, '/logout', {}, { cookie: `__Host-sid=${sid}` })).status,
    303,
    'logged out on A during the gap'
  )
  t.same(await socket.closed(), SESSION_ENDED, 'B\'s socket closes all the same')
  t.same(
    closes(b),
    [['not_live', 'recheck']],
    'by the re-check B ran when it reconnected, not by the message it missed'
  )
})

t.test('a session gone without a message closes its sockets within SESSION_RECHECK_INTERVAL_MS', async (t) => {
  const cluster = await startCluster(t, 2, { SESSION_RECHECK_INTERVAL_MS: '300' })
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return
  const sid = await a.login()
  const key = (await a.sessions.get(sid))?.key ?? ''
  const sockets = [await openAuthorised(t, a, sid), await openAuthorised(t, b, sid)]
  const admin = cluster.redis.client(t)
  const prefix = cluster.env.REDIS_KEY_PREFIX ?? ''
  // Deleted behind every instance's back, as a lost message would look.
  await admin.multi().del(`${prefix}session:${key}`).zrem(`${prefix}session-deadlines`, key).exec()
  const started = Date.now()
  for (const socket of sockets) t.same(await socket.closed(), SESSION_ENDED)
  const took = Date.now() - started
  t.ok(took < 1500, `both closed ${took} ms later (interval 300 ms)`)
  t.same(closes(a), [['not_live', 'recheck']])
  t.same(closes(b), [['not_live', 'recheck']])
})

t.test('Redis restarted empty: every socket closes with 4401 soon after it answers, and people log in ' +
  'again', async (t) => {
  const redis = await RedisServer.start(t)
  const cluster = await startCluster(t, 2, { SESSION_RECHECK_INTERVAL_MS: '300' }, redis)
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return
  const sids = [await a.login(), await b.login()]
  const sockets = [
    await openAuthorised(t, a, sids[0] ?? ''),
    await openAuthorised(t, b, sids[1] ?? ''),
    await openAuthorised(t, b, sids[0] ?? '')
  ]
  await redis.stop(true)
  await redis.startProcess()
  const back = Date.now()
  for (const socket of sockets) t.same(await socket.closed(), SESSION_ENDED)
  t.ok(Date.now() - back < 3000, `closed within ${Date.now() - back} ms of Redis answering again`)
  await waitUntil(() => a.app.services.stores.health?.reachable === true, 'A to reconnect')
  const sid = await a.login()
  const again = await openAuthorised(t, b, sid)
  t.match(
    await again.request({ type: 'get_name', hero: 'hulk' }),
    { type: 'name' },
    'a new login works on every instance'
  )
})

t.test('a logout racing many handshakes: every socket that opens is closed with 4401 at once, on the instance that ' +
  'logged out and on another', async (t) => {
  // The re-check would close a straggler within an hour only: whatever closes them here is the fast path.
  const cluster = await startCluster(t, 2, { ...RACE_LIMITS, SESSION_RECHECK_INTERVAL_MS: '3600000' })
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return
  let opened = 0
  for (let round = 1; round <= 4; round++) {
    for (const [name, socketsOn] of [['same instance', a], ['another instance', b]] as const) {
      const race = await raceLogoutWithHandshakes(a, socketsOn, 80, 5000)
      opened += assertNoSocketOutlivedLogout(t, race, 2000, `round ${round}, ${name}`)
      await waitUntil(() => socketsOn.app.websocket.connections.size === 0, 'the instance to forget the sockets')
    }
  }
  t.ok(opened > 0, `the races opened ${opened} sockets in all`)
  const caught = [a, b].map((server) => server.logs.entries()
    .filter((e) => e.event === 'ws_rejected' && e.detail === 'the session ended during the handshake').length)
  t.comment(`handshakes whose session ended while the gate checked them (refused 401): ${caught[0] ?? 0} on the ` +
    `instance that logged out, ${caught[1] ?? 0} on the other`)
})
