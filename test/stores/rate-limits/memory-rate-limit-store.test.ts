// The HTTP rate limits' counters in this process: the rate-limit store contract on the injected
// (monotonic) clock; through the app, a window ends when that clock says so, whatever Date.now
// says, and Retry-After counts down on it; at most 5000 keys per namespace.
import https from 'node:https'
import t from 'tap'
import { MemoryRateLimitStore } from '../../../src/stores/rate-limits/memory-rate-limit-store.js'
import { startTestServer, TestClock, type TestServer } from '../../helpers/test-server.js'
import { rateLimitStoreContract, read } from './rate-limit-store-contract.js'

t.test('the rate-limit store contract', async (t) => {
  rateLimitStoreContract(t, async (_t, clock, settings = {}) => new MemoryRateLimitStore(settings, clock.read))
})

/** GET /login; the status and Retry-After. */
function get (server: TestServer): Promise<{ status: number, retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: server.port, path: '/login', agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }))
    }).on('error', reject)
  })
}

t.test('a window ends on the injected clock, whatever Date.now says', async (t) => {
  const server = await startTestServer(t, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_S: '10' })
  for (let i = 0; i < 3; i++) t.equal((await get(server)).status, 200)
  t.same(await get(server), { status: 429, retryAfter: '10' })
  const realNow = Date.now
  Date.now = () => realNow() + 3_600_000
  try {
    t.same(await get(server), { status: 429, retryAfter: '10' }, 'Date.now an hour ahead ends no window')
    Date.now = () => realNow() - 3_600_000
    t.same(await get(server), { status: 429, retryAfter: '10' }, 'an hour back lengthens none')
  } finally {
    Date.now = realNow
  }
  server.clock.advance(6_500)
  t.same(await get(server), { status: 429, retryAfter: '4' }, 'Retry-After counts down on the clock')
  server.clock.advance(3_499)
  t.equal((await get(server)).status, 429, 'one ms before the window ends: still refused')
  server.clock.advance(1)
  t.equal((await get(server)).status, 200, 'when it ends: served, in a new window')
})

t.test('at most 5000 keys per namespace: the least recently used is forgotten first', async (t) => {
  const clock = new TestClock()
  const store = new MemoryRateLimitStore({}, clock.read)
  const count = async (key: string): Promise<number> => (await read(store, key, 60_000)).current
  store.incr('first', () => {}, 60_000)
  store.incr('second', () => {}, 60_000)
  for (let i = 0; i < 4998; i++) store.incr(`key-${i}`, () => {}, 60_000)
  store.incr('first', () => {}, 60_000)
  store.incr('one more', () => {}, 60_000)
  t.equal(await count('first'), 2, 'a key in use is kept')
  t.equal(await count('second'), 0, 'the least recently used one is gone')
})
