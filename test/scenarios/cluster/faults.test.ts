// A shared store that is slow or gone: logins and handshakes fail fast and clearly (503
// store_unavailable, no cookie, Retry-After), established sockets keep being served, the health
// probe answers, and everything recovers by itself when Redis is back; the process never
// crashes and no promise is left rejected. Redis is paused with SIGSTOP, stopped, or absent at
// start-up, for real; the last case also as a real server process.
import path from 'node:path'
import t, { type Test } from 'tap'
import { FileUsersStore } from '../../../src/accounts/file-users-store.js'
import { HTTP_ERRORS } from '../../../src/errors.js'
import { startCluster, waitForRedis } from '../../helpers/cluster.js'
import { openAuthorised, waitUntil } from '../../helpers/hero-client.js'
import { getWithSession, postLogin, remoteServer, setCookies } from '../../helpers/http.js'
import { assertRefused } from '../../helpers/gate-refusals.js'
import { upgradeRequest } from '../../helpers/raw-handshake.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { startServerProcess, useTestCertificate } from '../../helpers/server-process.js'
import { hashFor, startTestServer, TEST_USER, type TestServer } from '../../helpers/test-server.js'

const unhandled: unknown[] = []
process.on('unhandledRejection', (reason) => { unhandled.push(reason) })

/** A login refused because the store did not answer, and how long the refusal took. */
async function assertLoginUnavailable (t: Test, server: TestServer, boundMs: number): Promise<void> {
  const started = Date.now()
  const res = await postLogin(server)
  const took = Date.now() - started
  t.equal(res.status, 503, 'login: 503')
  t.equal(res.headers.get('retry-after'), '5', 'with Retry-After')
  t.same(setCookies(res), [], 'and no cookie')
  t.match(await res.text(), HTTP_ERRORS.store_unavailable.message, 'the login page says what is wrong')
  t.ok(took < boundMs, `answered in ${took} ms`)
}

t.test('Redis paused (SIGSTOP): 503 within REDIS_TIMEOUT_MS, sockets still served; SIGCONT: all back', async (t) => {
  const redis = await RedisServer.start(t)
  const { instances: [a, b] } = await startCluster(t, 2, { REDIS_TIMEOUT_MS: '300' }, redis)
  if (a === undefined || b === undefined) return
  const sid = await a.login()
  const socket = await openAuthorised(t, b, sid)
  redis.pause()
  t.teardown(() => { try { redis.resume() } catch {} })
  await assertLoginUnavailable(t, a, 2000)
  const started = Date.now()
  await assertRefused(
    t,
    b,
    upgradeRequest(b, { sid }),
    { status: 503, reason: 'store_unavailable', retryAfter: 5, secrets: [sid] },
    'a new socket: 503'
  )
  t.ok(Date.now() - started < 2000, `the gate held it ${Date.now() - started} ms at most`)
  t.match(
    await socket.request({ type: 'get_name', id: 3, hero: 'ironMan' }),
    { type: 'name', hero_name: 'Tony Stark' },
    'the open socket still answers'
  )
  t.equal((await getWithSession(a, '/healthz')).status, 200, 'the health probe answers')
  const page = await getWithSession(a, '/login')
  t.equal(page.status, 503, 'a page that asks no session: 503 (its rate limit is counted in Redis, and fails closed)')
  t.match(await page.text(), HTTP_ERRORS.store_unavailable.message, 'saying what is wrong')
  t.ok(
    a.logs.entries().some((e) => e.event === 'request_refused' && e.code === 'store_unavailable' && e.level === 40),
    'the refusal is logged as a warning'
  )
  redis.resume()
  const back = Date.now()
  let res = await postLogin(a)
  while (res.status !== 303 && Date.now() - back < 5000) res = await postLogin(a)
  t.equal(res.status, 303, `logins work again ${Date.now() - back} ms after SIGCONT`)
  t.match(await socket.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' }, 'and the socket lived through it')
  // B may have dropped its stalled connection and be reconnecting: it refuses (503) until then.
  await waitForRedis(b)
  t.ok(Date.now() - back < 5000, `B reaches Redis again ${Date.now() - back} ms after SIGCONT`)
  const again = await openAuthorised(t, b, sid)
  t.ok(again, 'new sockets open again')
})

t.test('Redis stopped: refusals at once, not after a timeout; restarted: everything recovers, no restart of ' +
  'ours', async (t) => {
  const redis = await RedisServer.start(t)
  const { instances: [a] } = await startCluster(t, 1, { REDIS_TIMEOUT_MS: '2000' }, redis)
  if (a === undefined) return
  const sid = await a.login()
  const socket = await openAuthorised(t, a, sid)
  await redis.stop()
  await waitUntil(() => a.app.services.stores.health?.reachable === false, 'the instance to notice')
  await assertLoginUnavailable(t, a, 1000)
  await assertRefused(
    t,
    a,
    upgradeRequest(a, { sid }),
    { status: 503, reason: 'store_unavailable', retryAfter: 5, secrets: [sid] },
    'a new socket: 503'
  )
  t.match(
    await socket.request({ type: 'get_name', hero: 'hulk' }),
    { type: 'name' },
    'the open socket is served through the outage'
  )
  t.equal(a.logs.entries().filter((e) => e.event === 'redis_unreachable').length, 1, 'the outage is logged once')
  await redis.startProcess()
  await waitUntil(() => a.app.services.stores.health?.reachable === true, 'the instance to reconnect')
  t.same(await socket.closed(), { code: 4401, reason: 'session_ended' }, 'the session Redis lost ends its socket')
  const fresh = await a.login()
  t.match(await (await openAuthorised(t, a, fresh)).request({ type: 'get_name', hero: 'hulk' }), { type: 'name' })
  t.equal(a.logs.entries().filter((e) => e.event === 'redis_reachable').length, 1, 'and the recovery too')
})

t.test('REDIS_URL set but Redis down at start-up: the app starts, says so, answers 503 until Redis is ' +
  'there', async (t) => {
  const redis = await RedisServer.create(t)
  const server = await startTestServer(t, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'startup:' })
  t.ok(server.app.server.listening, 'listening')
  await waitUntil(() => server.logs.entries().some((e) => e.event === 'redis_unreachable'), 'the outage to be logged')
  t.match(
    server.logs.entries().find((e) => e.event === 'redis_unreachable'),
    { level: 50, msg: /Redis is unreachable/ }
  )
  await assertLoginUnavailable(t, server, 1000)
  await redis.startProcess()
  await waitUntil(() => server.app.services.stores.health?.reachable === true, 'the app to connect')
  const sid = await server.login()
  t.match(
    await (await openAuthorised(t, server, sid)).request({ type: 'get_name', hero: 'hulk' }),
    { type: 'name' },
    'then it works, with no restart'
  )
})

t.test('the real process starts with Redis down, answers 503, and logs in once Redis is up', async (t) => {
  const redis = await RedisServer.create(t)
  const dir = t.testdir({})
  // With REDIS_URL no demo account is made: the accounts file comes first.
  const usersFile = path.join(dir, 'users.json')
  await FileUsersStore.create(usersFile, [{ username: TEST_USER.username, hash: await hashFor(TEST_USER.password) }])
  const server = await startServerProcess({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: path.join(dir, 'data'),
    CERTS_DIR: useTestCertificate(path.join(
      dir,
      'certs'
    )),
    REDIS_URL: redis.url,
    USERS_FILE: usersFile,
    LOG_LEVEL: 'info'
  }, t)
  const asServer = remoteServer(server.url)
  t.match(server.stdout(), /"event":"redis_unreachable"/, 'the outage is in the log')
  t.equal((await postLogin(asServer)).status, 503, '503 while Redis is down')
  await redis.startProcess()
  const started = Date.now()
  let res = await postLogin(asServer)
  while (res.status !== 303 && Date.now() - started < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    res = await postLogin(asServer)
  }
  t.equal(res.status, 303, `logged in ${Date.now() - started} ms after Redis started`)
  t.equal(server.child.exitCode, null, 'still running')
  t.notMatch(server.stderr(), /Unhandled|TypeError|ReferenceError/, 'nothing thrown on stderr')
})

t.test('through all of the above, no promise was left rejected in this process', async (t) => {
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.same(unhandled, [])
})
