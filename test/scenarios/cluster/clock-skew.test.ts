// No instance's clock decides for another: real server processes on one real redis-server, one
// whose wall clock runs 31 minutes ahead and one 31 minutes behind (a preload offsets Date.now and
// new Date(), test/helpers/wall-clock-preload.mjs) beside one on the true time. A login on any of
// them is valid on all, its sockets stay open through many sweeps and re-checks by the skewed
// ones, and the idle timeout still ends a session, no sooner than Redis's own clock says.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { FileUsersStore } from '../../../src/accounts/file-users-store.js'
import { waitUntil } from '../../helpers/hero-client.js'
import { sessionIdOf } from '../../helpers/http.js'
import { parseMetrics, valueOf } from '../../helpers/metrics.js'
import { RedisServer } from '../../helpers/redis-server.js'
import {
  startServerProcess,
  useTestCertificate,
  WALL_CLOCK_PRELOAD,
  type ServerProcess
} from '../../helpers/server-process.js'
import { testCa } from '../../helpers/test-ca.js'
import { hashFor, TEST_USER } from '../../helpers/test-server.js'

const THIRTY_ONE_MINUTES = 31 * 60_000
const METRICS_TOKEN = 'clock-skew-test-metrics-token'

const redis = await RedisServer.start(t)
const dir = t.testdir({})
const usersFile = path.join(dir, 'users.json')
await FileUsersStore.create(usersFile, [{ username: TEST_USER.username, hash: await hashFor(TEST_USER.password) }])
const tokenFile = path.join(dir, 'metrics-token')
fs.writeFileSync(tokenFile, `${METRICS_TOKEN}\n`, { mode: 0o600 })

/** One server process and what the test needs to reach it. */
interface Instance {
  readonly name: string
  readonly process: ServerProcess
  /** Its development certificate, to trust in ws clients. */
  readonly ca: string
  readonly metricsUrl: string
}

/** Starts an instance whose wall clock is `skewMs` off, on the deployment `prefix` of the test's Redis. */
async function startInstance (
  t: Test,
  prefix: string,
  name: string,
  skewMs: number,
  env: Record<string, string> = {}
): Promise<Instance> {
  const data = path.join(dir, `${prefix}${name}`)
  const server = await startServerProcess({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    DATA_DIR: data,
    CERTS_DIR: useTestCertificate(data),
    USERS_FILE: usersFile,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    METRICS_PORT: '0',
    METRICS_TOKEN_FILE: tokenFile,
    SESSION_SWEEP_INTERVAL_MS: '50',
    SESSION_RECHECK_INTERVAL_MS: '200',
    WS_MAX_CONNECTIONS_PER_USER: '50',
    WALL_CLOCK_OFFSET_MS: String(skewMs),
    ...env
  }, t, 30_000, ['--import', WALL_CLOCK_PRELOAD])
  const metricsUrl = /"event":"operators_listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(server.stdout())?.[1]
  if (metricsUrl === undefined) throw new Error(`${name}: no operators listener in\n${server.stdout()}`)
  return { name, process: server, ca: testCa().ca, metricsUrl }
}

/** Logs in on `instance`; the session id. */
async function login (instance: Instance): Promise<string> {
  const res = await fetch(`${instance.process.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: instance.process.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(TEST_USER).toString()
  })
  const sid = sessionIdOf(res)
  if (res.status !== 303 || sid === undefined) throw new Error(`login on ${instance.name} answered ${res.status}`)
  return sid
}

/** The status of GET / with the session `sid` (200: the hero page; 303: back to the login). */
async function pageStatus (instance: Instance, sid: string): Promise<number> {
  const res = await fetch(`${instance.process.url}/`, { redirect: 'manual', headers: { cookie: `__Host-sid=${sid}` } })
  await res.arrayBuffer()
  return res.status
}

/** A socket opened on `instance` with `sid`, once its first message (user_authorized) came. */
async function openSocket (t: Test, instance: Instance, sid: string): Promise<{
  ws: WebSocket,
  closes: Array<{ code: number, reason: string }>
}> {
  const ws = new WebSocket(
    `wss://127.0.0.1:${instance.process.port}/ws`,
    { origin: instance.process.url, headers: { cookie: `__Host-sid=${sid}` }, ca: instance.ca }
  )
  t.teardown(() => ws.terminate())
  const closes: Array<{ code: number, reason: string }> = []
  ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }))
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve())
    ws.once(
      'unexpected-response',
      (_req, res) => reject(new Error(`${instance.name} refused the socket with ${res.statusCode}`))
    )
    ws.once('error', reject)
  })
  return { ws, closes }
}

/** Asks for a hero on an open socket; the reply's type. */
async function askHero (ws: WebSocket): Promise<unknown> {
  const reply = new Promise<unknown>((resolve) => ws.once(
    'message',
    (data) => resolve((JSON.parse(data.toString()) as { type?: unknown }).type)
  ))
  ws.send(JSON.stringify({ type: 'get_name', id: 1, hero: 'hulk' }))
  return await reply
}

/** How many Redis calls of `operation` (session_sweep, session_filter_live) the instance has made. */
async function redisCalls (instance: Instance, operation: string): Promise<number> {
  const res = await fetch(`${instance.metricsUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  return valueOf(parseMetrics(await res.text()), 'hero_socket_redis_command_duration_seconds_count', { operation })
}

/** Resolves once every instance has swept and re-checked at least `rounds` more times from now. */
async function afterRounds (instances: readonly Instance[], rounds: number): Promise<void> {
  const operations = ['session_sweep', 'session_filter_live']
  const start = await Promise.all(instances.map(async (i) =>
    await Promise.all(operations.map(async (op) => await redisCalls(i, op)))))
  await waitUntil(async () => {
    const now = await Promise.all(instances.map(async (i) =>
      await Promise.all(operations.map(async (op) => await redisCalls(i, op)))))
    return now.every((counts, i) => counts.every((count, j) => count >= (start[i]?.[j] ?? 0) + rounds))
  }, `${rounds} sweeps and re-checks on every instance`, 30_000)
}

/** Redis's own time, epoch ms. */
async function redisTime (t: Test): Promise<number> {
  const [seconds, micros] = await redis.client(t).time()
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
}

/** The lines an instance logged about ended sessions or sockets closed for it. */
function endLines (instance: Instance): string[] {
  return instance.process.stdout().split('\n')
    .filter((line) => /"event":"(ws_session_ended|session_\w*ended\w*)"/.test(line))
}

t.test('instances 31 min ahead and behind log nobody out: every login is valid everywhere, ' +
  'sockets stay open', async (t) => {
  const prefix = 'skew-live:'
  const skews = [['ahead', THIRTY_ONE_MINUTES], ['true', 0], ['behind', -THIRTY_ONE_MINUTES]] as const
  const instances = await Promise.all(skews.map(async ([name, skew]) =>
    await startInstance(t, prefix, String(name), Number(skew))))
  const sids = await Promise.all(instances.map(login))
  const sockets = []
  for (const [i, sid] of sids.entries()) {
    for (const instance of instances) {
      t.equal(
        await pageStatus(instance, sid),
        200,
        `the login on ${instances[i]?.name} opens the page on ${instance.name}`
      )
      sockets.push({ on: instance.name, of: instances[i]?.name, ...await openSocket(t, instance, sid) })
    }
  }
  await afterRounds(instances, 5)
  for (const socket of sockets) {
    t.same(
      socket.closes,
      [],
      `the socket on ${socket.on} of the login on ${socket.of} is still open after five sweeps and re-checks by ` +
        'every instance'
    )
    if (socket.closes.length === 0) t.equal(await askHero(socket.ws), 'name', 'and answered')
  }
  for (const [i, sid] of sids.entries()) {
    for (const instance of instances) {
      t.equal(
        await pageStatus(instance, sid),
        200,
      `the login on ${instances[i]?.name} still opens the page on ${instance.name}`
      )
    }
  }
  for (const instance of instances) t.same(endLines(instance), [], `${instance.name} ended nothing`)
})

t.test('the idle timeout still ends a session, on Redis\'s clock, whichever instance\'s clock is off', async (t) => {
  const idleS = 8
  const prefix = 'skew-idle:'
  const env = { SESSION_IDLE_TIMEOUT_S: String(idleS) }
  const [ahead, truth, behind] = await Promise.all([
    ['ahead', THIRTY_ONE_MINUTES],
    ['true', 0],
    ['behind', -THIRTY_ONE_MINUTES]
  ].map(async ([name, skew]) =>
    await startInstance(t, prefix, String(name), Number(skew), env)))
  if (ahead === undefined || truth === undefined || behind === undefined) return
  const client = redis.client(t)
  for (const from of [ahead, behind]) {
    const sid = await login(from)
    t.equal(await pageStatus(truth, sid), 200, `a login on the instance ${from.name} is live on the true one`)
    const hash = `${prefix}session:${createHash('sha256').update(sid).digest('hex')}`
    const lastSeen = Number(await client.hget(hash, 's'))
    await waitUntil(async () => await client.exists(hash) === 0, 'a sweep to end the idle session', 45_000)
    const endedAt = await redisTime(t)
    t.ok(
      endedAt - lastSeen >= idleS * 1000,
      `ended ${endedAt - lastSeen} ms after its last use by Redis's clock, not before ${idleS} s`
    )
    t.equal(await pageStatus(truth, sid), 303, 'then it is gone: back to the login page')
    t.equal(await pageStatus(from, sid), 303, `on ${from.name} too`)
  }
})
