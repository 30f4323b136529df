// Another site must never cost a visitor anything (src/http/cross-site.ts): a burst of what a
// page elsewhere can make its visitor's browser send (form posts, fetches, images, frames) is
// refused 403 before the visitor's budgets are touched, so the same address then logs in and
// loads its pages normally; the refusals spend a budget of their own, past which they get 429;
// a link from another site (a top-level GET navigation) still works, spending that budget too;
// what a page elsewhere can make its visitor send that we cannot read (`/%`, a 20 KB URL) spends
// it as well, never the visitor's.
import t from 'tap'
import { CROSS_SITE_REQUESTS, EVIL_ORIGIN, cookieOf, ownLogin, ownPage } from '../helpers/cross-site.js'
import { countVerifies, requestFrom } from '../helpers/http.js'
import { startTestServer } from '../helpers/test-server.js'

/** Small visitor budgets, so that the burst would spend them many times over were it counted. */
const LIMITS = { RATE_LIMIT_MAX: '10', LOGIN_RATE_IP_MAX: '2', LOGIN_RATE_USER_MAX: '2' }

t.test('a burst of cross-site posts and fetches is refused without touching the visitor\'s budgets', async (t) => {
  const server = await startTestServer(t, LIMITS)
  const visitor = '127.0.17.1'
  const verifies = countVerifies(server)
  for (let round = 0; round < 5; round++) {
    for (const [what, request] of CROSS_SITE_REQUESTS) {
      const answer = await requestFrom(server, visitor, request)
      if (round === 0) {
        t.equal(answer.status, 403, `${what}: 403`)
        t.equal(answer.headers['set-cookie'], undefined, `${what}: no cookie`)
        t.equal(answer.headers['x-ratelimit-remaining'], undefined, `${what}: answered before any limit counted it`)
      } else if (answer.status !== 403) t.fail(`${what}, round ${round + 1}: ${answer.status}`)
    }
  }
  t.equal(verifies.calls, 0, 'no password was checked')
  const refusals = server.logs.entries().filter((e) => e.code === 'cross_site_request')
  t.equal(
    refusals.length,
    5 * CROSS_SITE_REQUESTS.length,
    `${5 * CROSS_SITE_REQUESTS.length} refusals, each logged once`
  )
  t.ok(refusals.every((e) => e.ip === visitor), 'each naming the visitor\'s address')

  const login = await ownLogin(server, visitor)
  t.equal(login.status, 303, 'then the visitor logs in from the same address')
  const cookie = cookieOf(login)
  for (const path of ['/', '/login', '/assets/style.css']) {
    t.equal((await requestFrom(server, visitor, ownPage(path, cookie))).status, 200, `and loads ${path}`)
  }
  t.equal(
    (await requestFrom(server, visitor, ownPage('/'))).status,
    303,
    'a page without a session still redirects to the login'
  )
})

t.test('a link from another site (a top-level GET navigation) is followed, counted in the cross-site budget, ' +
  'not the visitor\'s', async (t) => {
  const server = await startTestServer(t, { RATE_LIMIT_MAX: '3', RATE_LIMIT_CROSS_SITE_MAX: '3' })
  const link = {
    path: '/login',
    headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }
  }
  const answers = []
  for (let i = 0; i < 4; i++) answers.push(await requestFrom(server, '127.0.17.2', link))
  t.same(
    answers.map((a) => a.status),
    [200, 200, 200, 429],
    'three links followed (a page elsewhere navigating a window in a loop), then the cross-site budget'
  )
  t.match(answers[3]?.body, 'Too many requests came from other sites')
  const own = []
  for (let i = 0; i < 3; i++) own.push((await requestFrom(server, '127.0.17.2', ownPage('/login'))).status)
  t.same(own, [200, 200, 200], 'the visitor\'s own three pages: its budget was not touched')
  const post = await requestFrom(server, '127.0.17.5', {
    ...link,
    method: 'POST',
    headers: { ...link.headers, origin: EVIL_ORIGIN }
  })
  t.equal(post.status, 403, 'a navigation that posts is no link: refused as cross-site, not limited')
})

t.test('cross-site refusals spend RATE_LIMIT_CROSS_SITE_MAX, then get 429 logged at debug; ' +
  'the visitor is unaffected', async (t) => {
  const server = await startTestServer(t, { ...LIMITS, RATE_LIMIT_CROSS_SITE_MAX: '4', LOG_LEVEL: 'debug' })
  const visitor = '127.0.17.3'
  const [, formPost] = CROSS_SITE_REQUESTS[0] ?? []
  if (formPost === undefined) throw new Error('no cross-site request')
  const statuses = []
  for (let i = 0; i < 30; i++) statuses.push((await requestFrom(server, visitor, formPost)).status)
  t.same(statuses, [403, 403, 403, 403, ...Array<number>(26).fill(429)], 'four refusals, then 429')
  const limited = await requestFrom(server, visitor, formPost)
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= 60, `with Retry-After (${limited.headers['retry-after']})`)
  t.match(limited.body, 'Too many requests came from other sites')
  const lines = server.logs.entries().filter((e) => e.event === 'request_refused')
  t.equal(lines.filter((e) => e.code === 'cross_site_request' && e.level === 40).length, 4, 'the refusals are warnings')
  t.ok(
    lines.filter((e) => e.code === 'cross_site_requests_limited').every((e) => e.level === 20),
    'past the budget, at debug only'
  )
  t.equal(
    server.logs.entries().filter((e) => e.level !== undefined && (e.level as number) >= 30 && e.ip === visitor).length,
    4,
    'so the flood writes four lines at info and above'
  )

  const login = await ownLogin(server, visitor)
  t.equal(login.status, 303, 'the visitor logs in')
  t.equal((await requestFrom(server, visitor, ownPage('/', cookieOf(login)))).status, 200, 'and loads the hero page')
})

t.test('what another site can make its visitor send that we cannot read spends the cross-site budget, ' +
  'never the visitor\'s', async (t) => {
  const server = await startTestServer(t, { ...LIMITS, RATE_LIMIT_CROSS_SITE_MAX: '1000' })
  const visitor = '127.0.17.4'
  // An image whose URL the router cannot read, and one whose URL is past the header limit: any page can embed both.
  const image = crossSiteImageHeaders()
  const unreadable = [{ path: '/%', headers: image }, { path: `/${'a'.repeat(20_000)}`, headers: image }]
  const statuses = new Set<number>()
  for (let round = 0; round < 8; round++) {
    for (const request of unreadable) statuses.add((await requestFrom(server, visitor, request)).status)
  }
  t.same(
    [...statuses].sort(),
    [400, 431],
    'each answered 400 or 431, 16 times in all: four times the visitor\'s budget, were it counted there'
  )
  const login = await ownLogin(server, visitor)
  t.equal(login.status, 303, 'then the visitor logs in')
  t.equal((await requestFrom(server, visitor, ownPage('/', cookieOf(login)))).status, 200, 'and loads the hero page')
})

function crossSiteImageHeaders (): Record<string, string> {
  return { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' }
}
