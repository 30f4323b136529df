// Another site costs a visitor nothing on any instance: with two instances on one real Redis
// (whose HTTP limits are shared), a burst of cross-site posts and fetches spread over both leaves
// the visitor's budgets untouched on both, and the refusals' own budget is shared as well.
import t from 'tap'
import { startCluster } from '../../helpers/cluster.js'
import { CROSS_SITE_REQUESTS, cookieOf, ownLogin, ownPage } from '../../helpers/cross-site.js'
import { requestFrom } from '../../helpers/http.js'

t.test('a burst over two instances, then the same address logs in on one and loads pages on the other', async (t) => {
  const { instances: [a, b] } = await startCluster(
    t,
    2,
    { RATE_LIMIT_MAX: '10', LOGIN_RATE_IP_MAX: '2', LOGIN_RATE_USER_MAX: '2' }
  )
  if (a === undefined || b === undefined) throw new Error('no cluster')
  const visitor = '127.0.18.1'
  const statuses = new Set<number>()
  for (let round = 0; round < 3; round++) {
    for (const [, request] of CROSS_SITE_REQUESTS) {
      for (const server of [a, b]) statuses.add((await requestFrom(server, visitor, request)).status)
    }
  }
  t.same([...statuses], [403], `${3 * 2 * CROSS_SITE_REQUESTS.length} cross-site requests over A and B: all 403`)
  const login = await ownLogin(b, visitor)
  t.equal(login.status, 303, 'the visitor logs in on B')
  const cookie = cookieOf(login)
  for (const path of ['/', '/login', '/assets/style.css']) {
    t.equal((await requestFrom(a, visitor, ownPage(path, cookie))).status, 200, `and loads ${path} on A`)
  }
})

t.test('the cross-site budget is counted on every instance together', async (t) => {
  const { instances: [a, b] } = await startCluster(t, 2, { RATE_LIMIT_CROSS_SITE_MAX: '4' })
  if (a === undefined || b === undefined) throw new Error('no cluster')
  const [, formPost] = CROSS_SITE_REQUESTS[0] ?? []
  if (formPost === undefined) throw new Error('no cross-site request')
  const statuses = []
  for (const server of [a, b, a, b, a, b]) statuses.push((await requestFrom(server, '127.0.18.2', formPost)).status)
  t.same(statuses, [403, 403, 403, 403, 429, 429], 'two on each, then 429 on both')
  t.equal((await ownLogin(a, '127.0.18.2')).status, 303, 'and the visitor still logs in')
})
