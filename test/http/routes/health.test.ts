// The health routes on the public port (src/http/routes/health.ts): /readyz says only ready or
// not (the checks are on the operators' listener), the probes are limited per client like every
// route but counted in the process, so they answer while Redis is paused, and a probe writes no
// line at info.
import t from 'tap'
import { startCluster } from '../../helpers/cluster.js'
import { requestFrom } from '../../helpers/http.js'
import { metricsUrl } from '../../helpers/metrics.js'
import { startTestServer } from '../../helpers/test-server.js'

t.test('/readyz on the public port says ready or not, without the checks; ' +
  'the operators\' listener gives them', async (t) => {
  const server = await startTestServer(t, { METRICS_PORT: '0' })
  const publicAnswer = await requestFrom(server, '127.0.20.1', { path: '/readyz' })
  t.equal(publicAnswer.status, 200)
  t.same(JSON.parse(publicAnswer.body), { status: 'ready' }, 'no word of Redis or the hashing process')
  t.same(await (await fetch(`${metricsUrl(server)}/readyz`)).json(), {
    status: 'ready',
    checks: { draining: false, hashing: 'running' }
  })
  server.app.services.readiness.startDraining()
  const draining = await requestFrom(server, '127.0.20.1', { path: '/readyz' })
  t.equal(draining.status, 503, 'a drain: 503')
  t.same(JSON.parse(draining.body), { status: 'not ready' }, 'without saying why')
})

t.test('the probes are limited per client like every route, and logged at debug only', async (t) => {
  const server = await startTestServer(t, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_S: '60' })
  const statuses = []
  for (const path of ['/livez', '/readyz', '/healthz', '/livez', '/readyz']) {
    statuses.push((await requestFrom(server, '127.0.20.2', { path })).status)
  }
  t.same(statuses, [200, 200, 200, 429, 429], 'RATE_LIMIT_MAX probes from one client, then 429')
  const limited = await requestFrom(server, '127.0.20.2', { path: '/livez' })
  t.ok(Number(limited.headers['retry-after']) >= 1, 'with Retry-After')
  t.equal((await requestFrom(server, '127.0.20.3', { path: '/livez' })).status, 200, 'another client is not limited')
  const infoLines = server.logs.entries().filter(
    (e) => (e.level as number) >= 30 && (e.event !== undefined || e.req !== undefined)
  )
  t.same(
    infoLines.map((e) => [e.event, e.code, e.ip]),
    [
      ['request_refused', 'rate_limited', '127.0.20.2'],
      ['request_refused', 'rate_limited', '127.0.20.2'],
      ['request_refused', 'rate_limited', '127.0.20.2']
    ],
    'the answered probes wrote no line at info; each refusal one'
  )
})

t.test('with Redis paused the probes still answer, counted in the process', async (t) => {
  const { redis, instances: [server] } = await startCluster(t, 1, { REDIS_TIMEOUT_MS: '300', RATE_LIMIT_MAX: '1000' })
  if (server === undefined) throw new Error('no instance')
  redis.pause()
  t.teardown(() => redis.resume())
  t.equal(
    (await requestFrom(server, '127.0.20.4', { path: '/livez' })).status,
    200,
    '/livez: 200 while Redis answers nothing'
  )
  const deadline = Date.now() + 10_000
  let ready = 200
  while (ready === 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    ready = (await requestFrom(server, '127.0.20.4', { path: '/readyz' })).status
  }
  t.equal(ready, 503, '/readyz: 503 once the instance notices')
  t.equal(
    (await requestFrom(server, '127.0.20.4', { path: '/login' })).status,
    503,
    'a page, counted in Redis, cannot be answered'
  )
})
