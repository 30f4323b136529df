// The HTTP and login rate limits are counted in Redis, so one client meets the same limit
// whichever instance the load balancer sends it to: @fastify/rate-limit's Redis store, shared by
// every instance with the same REDIS_KEY_PREFIX.
import t from 'tap'
import { startCluster } from '../../helpers/cluster.js'
import { getWithSession, postLogin, setCookies } from '../../helpers/http.js'
import { TEST_USER } from '../../helpers/test-server.js'

t.test('the per-IP login limit counts logins on every instance together', async (t) => {
  const { instances: [a, b] } = await startCluster(
    t,
    2,
    { LOGIN_RATE_IP_MAX: '3', LOGIN_RATE_USER_MAX: '100', RATE_LIMIT_MAX: '1000' }
  )
  if (a === undefined || b === undefined) throw new Error('no cluster')
  const statuses = []
  for (const server of [a, b, a]) statuses.push((await postLogin(server, TEST_USER.username, 'wrong password')).status)
  t.same(statuses, [401, 401, 401], 'three wrong passwords, on A, B and A')
  for (const [name, server] of [['B', b], ['A', a]] as const) {
    const res = await postLogin(server)
    t.equal(res.status, 429, `a fourth on ${name}, even with the right password: 429`)
    t.same(setCookies(res), [], 'and no cookie')
  }
})

t.test('the per-username login limit counts failures only, on every instance together', async (t) => {
  const { instances: [a, b] } = await startCluster(
    t,
    2,
    { LOGIN_RATE_IP_MAX: '100', LOGIN_RATE_USER_MAX: '2', RATE_LIMIT_MAX: '1000' }
  )
  if (a === undefined || b === undefined) throw new Error('no cluster')
  const successes = []
  for (const server of [a, b, a, b, a, b]) successes.push((await postLogin(server)).status)
  t.same(successes, [303, 303, 303, 303, 303, 303], 'six logins with the right password, over A and B: none refused')
  const failures = []
  for (const server of [a, b]) failures.push((await postLogin(server, TEST_USER.username, 'wrong password')).status)
  t.same(failures, [401, 401], 'a wrong password on A, one on B')
  for (const [name, server] of [['A', a], ['B', b]] as const) {
    const res = await postLogin(server)
    t.equal(res.status, 429, `then on ${name}, even the right password: 429`)
    t.ok(Number(res.headers.get('retry-after')) >= 1, 'with Retry-After')
    t.same(setCookies(res), [], 'and no cookie')
  }
})

t.test('the global HTTP limit counts requests on every instance together', async (t) => {
  const { instances: [a, b] } = await startCluster(t, 2, { RATE_LIMIT_MAX: '6' })
  if (a === undefined || b === undefined) throw new Error('no cluster')
  const statuses = []
  for (const server of [a, b, a, b, a, b]) statuses.push((await getWithSession(server, '/login')).status)
  t.same(statuses, [200, 200, 200, 200, 200, 200], 'six pages, three on each')
  const limited = await getWithSession(a, '/login')
  t.equal(limited.status, 429, 'the seventh, on A: 429')
  t.ok(Number(limited.headers.get('retry-after')) >= 1, 'with Retry-After')
  t.equal((await getWithSession(b, '/login')).status, 429, 'and on B')
})
