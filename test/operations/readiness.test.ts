// Liveness and readiness, on the public listener and the operators' one: /livez (and /healthz)
// answer while the process does; /readyz turns 503 when Redis stops (or is paused) and back to
// 200 when it returns, naming the failed check, and Redis's health shows in the metrics.
import t, { type Test } from 'tap'
import { HashingProcess } from '../../src/accounts/hashing-process.js'
import { Readiness } from '../../src/operations/readiness.js'
import { startCluster } from '../helpers/cluster.js'
import { waitUntil } from '../helpers/hero-client.js'
import { metricsUrl, scrape, valueOf } from '../helpers/metrics.js'
import { RedisServer } from '../helpers/redis-server.js'
import type { TestServer } from '../helpers/test-server.js'

/**
 * /readyz on both listeners: their statuses, and the operators' body (the public one says no more than ready or not).
 */
async function readyz (server: TestServer): Promise<{ statuses: number[], body: unknown, publicBody: unknown }> {
  const [publicRes, operatorsRes] = await Promise.all(
    [fetch(`${server.url}/readyz`), fetch(`${metricsUrl(server)}/readyz`)]
  )
  return {
    statuses: [publicRes.status, operatorsRes.status],
    body: await operatorsRes.json(),
    publicBody: await publicRes.json()
  }
}

async function untilReady (t: Test, server: TestServer, status: number, what: string): Promise<unknown> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const { statuses, body, publicBody } = await readyz(server)
    if (statuses.every((s) => s === status)) {
      t.pass(`${what}: ${status} on both listeners`)
      t.same(
        publicBody,
        { status: status === 200 ? 'ready' : 'not ready' },
        `${what}: the public port says no more than that`
      )
      return body
    }
    if (Date.now() > deadline) throw new Error(`${what}: /readyz stayed ${statuses.join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

t.test('/readyz follows Redis: 503 when it stops or pauses, 200 when it is back', async (t) => {
  const redis = await RedisServer.start(t)
  const { instances: [server] } = await startCluster(t, 1, { METRICS_PORT: '0', REDIS_TIMEOUT_MS: '300' }, redis)
  if (server === undefined) return
  t.same(
    await untilReady(t, server, 200, 'at start'),
    { status: 'ready', checks: { draining: false, hashing: 'running', redis: 'up' } }
  )
  t.equal(valueOf(await scrape(server), 'hero_socket_redis_up'), 1)

  await redis.stop()
  t.same(
    await untilReady(t, server, 503, 'Redis stopped'),
    { status: 'not ready', checks: { draining: false, hashing: 'running', redis: 'down' } }
  )
  for (const path of ['/livez', '/healthz']) {
    t.equal(
      (await fetch(`${server.url}${path}`)).status,
      200,
    `${path} still 200: the process is alive`
    )
  }
  t.equal(valueOf(await scrape(server), 'hero_socket_redis_up'), 0, 'redis_up 0')
  await redis.startProcess()
  await untilReady(t, server, 200, 'Redis back')

  redis.pause()
  t.teardown(() => { try { redis.resume() } catch {} })
  await untilReady(t, server, 503, 'Redis paused (SIGSTOP): the PING times out')
  redis.resume()
  await untilReady(t, server, 200, 'Redis continued')
  const samples = await scrape(server)
  t.ok(valueOf(samples, 'hero_socket_redis_reconnects_total', { client: 'commands' }) >= 1, 'reconnects counted')
  t.ok(valueOf(samples, 'hero_socket_redis_reconnects_total', { client: 'pubsub' }) >= 1, 'and the pub/sub client\'s')
  t.ok(
    samples.some((s) => s.name === 'hero_socket_redis_command_duration_seconds_count' &&
      s.labels.operation === 'session_sweep' && s.value > 0),
    'command durations by operation (the sweep runs every second)'
  )
})

t.test('a hashing process that is not running makes the instance not ready', async (t) => {
  const hashing = new HashingProcess()
  hashing.start()
  await waitUntil(() => hashing.running, 'the child to start')
  const readiness = new Readiness(hashing, undefined)
  t.match(readiness.report(), { ready: true, checks: { hashing: 'running' } })
  await hashing.close()
  t.match(readiness.report(), { ready: false, checks: { hashing: 'stopped' } })
  readiness.startDraining()
  t.match(readiness.report(), { ready: false, checks: { draining: true } })
})
