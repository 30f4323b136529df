// The per-user socket cap counts the user's sockets on every instance, and a crashed instance's
// sockets stop counting once their leases run out (WS_CONNECTION_LEASE_S): the crash is real, a
// server process killed with SIGKILL.
import path from 'node:path'
import t from 'tap'
import WebSocket from 'ws'
import { startCluster } from '../../helpers/cluster.js'
import { HeroClient, openAuthorised, waitUntil } from '../../helpers/hero-client.js'
import { postLogin, remoteServer, sessionIdOf } from '../../helpers/http.js'
import { assertRefused } from '../../helpers/gate-refusals.js'
import { upgradeRequest } from '../../helpers/raw-handshake.js'
import { startServerProcess, useTestCertificate } from '../../helpers/server-process.js'
import { testCa } from '../../helpers/test-ca.js'
import { TEST_USER } from '../../helpers/test-server.js'

t.test('WS_MAX_CONNECTIONS_PER_USER counts the user\'s sockets on all instances together', async (t) => {
  const { instances: [a, b] } = await startCluster(t, 2, { WS_MAX_CONNECTIONS_PER_USER: '3' })
  if (a === undefined || b === undefined) return
  const sid = await a.login()
  const other = await b.login()
  const onA = [await openAuthorised(t, a, sid), await openAuthorised(t, a, other)]
  await openAuthorised(t, b, sid)
  const refusal = { status: 429, reason: 'user_connection_limit' as const, retryAfter: 5, secrets: [sid, other] }
  await assertRefused(t, b, upgradeRequest(b, { sid }), refusal, 'a fourth on B (two on A, one on B)')
  await assertRefused(
    t,
    a,
    upgradeRequest(a, { sid: other }),
    refusal,
    'a fourth on A, from another session of the user'
  )
  t.equal(await a.app.services.userSlots.count(TEST_USER.username), 3, 'both instances count three')
  t.equal(await b.app.services.userSlots.count(TEST_USER.username), 3)
  onA[0]?.ws.close()
  await onA[0]?.closed()
  await waitUntil(() => a.app.websocket.connections.size === 1, 'A to release the closed socket')
  const again = await openAuthorised(t, b, sid)
  t.match(
    await again.request({ type: 'get_name', hero: 'hulk' }),
    { type: 'name' },
    'a socket closed on A frees a slot on B'
  )
  await assertRefused(t, a, upgradeRequest(a, { sid }), refusal, 'and the cap holds again')
})

t.test('a crashed instance\'s sockets stop counting once their leases run out', async (t) => {
  const cluster = await startCluster(t, 1, { WS_MAX_CONNECTIONS_PER_USER: '2', WS_CONNECTION_LEASE_S: '1' })
  const [a] = cluster.instances
  if (a === undefined) return
  const dir = t.testdir({})
  const crashing = await startServerProcess({
    ...cluster.env,
    HOST: '127.0.0.1',
    PORT: '0',
    USERS_FILE: cluster.usersFile,
    DATA_DIR: path.join(dir, 'data'),
    CERTS_DIR: useTestCertificate(path.join(dir, 'certs')),
    LOG_LEVEL: 'info'
  }, t)
  const { ca } = testCa()
  // Logged in on the process (its clock is the real one; A's is the test's, which is earlier).
  const res = await postLogin(remoteServer(crashing.url))
  const sid = sessionIdOf(res) ?? ''
  t.equal(res.status, 303, 'logged in on the instance that will crash')
  // Two sockets on the process that will crash: the user's whole cap.
  for (let i = 0; i < 2; i++) {
    const ws = new WebSocket(
      `wss://127.0.0.1:${crashing.port}/ws`,
      { origin: crashing.url, headers: { cookie: `__Host-sid=${sid}` }, ca }
    )
    ws.on('error', () => {})
    t.teardown(() => ws.terminate())
    await new Promise((resolve, reject) => {
      ws.once('message', resolve)
      ws.once(
        'unexpected-response',
        (_req, res) => reject(new Error('the crashing instance refused the socket: ' +
          `${res.statusCode}\n${crashing.stdout()}`))
      )
    })
  }
  const refusal = { status: 429, reason: 'user_connection_limit' as const, retryAfter: 5, secrets: [sid] }
  await assertRefused(t, a, upgradeRequest(a, { sid }), refusal, 'A refuses a third while the other instance holds two')
  crashing.child.kill('SIGKILL')
  const killedAt = Date.now()
  await crashing.exit
  let opened: HeroClient | undefined
  while (opened === undefined && Date.now() - killedAt < 5000) {
    opened = await HeroClient.open(t, a, sid).catch(() => undefined)
    if (opened === undefined) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const after = Date.now() - killedAt
  t.ok(opened, `A admits the user again ${after} ms after the crash`)
  t.ok(after < 2500, 'within one lease (1 s) and a renewal period')
  t.match(await opened?.next(), { type: 'user_authorized' })
})
