// The HTTP rate limits' counters in this process: a window ends when the injected (monotonic)
// clock says so, and not one millisecond earlier, whatever Date.now says; Retry-After counts down
// on that clock; the plugin's options this store does not implement are refused, not ignored.
import https from 'node:https'
import t from 'tap'
import { LocalRateLimitStore } from '../../src/http/local-rate-limit-store.js'
import { startTestServer, TestClock, type TestServer } from '../helpers/test-server.js'

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

t.test('options the store does not implement are refused', async (t) => {
  const clock = new TestClock()
  t.throws(() => new LocalRateLimitStore({ continueExceeding: true }, clock.read), /not supported/)
  t.throws(() => new LocalRateLimitStore({ exponentialBackoff: true }, clock.read), /not supported/)
  t.throws(() => new LocalRateLimitStore({}, clock.read).child({ continueExceeding: true }), /not supported/)
})

t.test('at most 5000 keys: the least recently used is forgotten first', async (t) => {
  const clock = new TestClock()
  const store = new LocalRateLimitStore({}, clock.read)
  const count = (key: string): number => {
    let current = -1
    store.read(key, (_err, result) => { current = result?.current ?? -1 }, 60_000)
    return current
  }
  store.incr('first', () => {}, 60_000)
  store.incr('second', () => {}, 60_000)
  for (let i = 0; i < 4998; i++) store.incr(`key-${i}`, () => {}, 60_000)
  store.incr('first', () => {}, 60_000)
  store.incr('one more', () => {}, 60_000)
  t.equal(count('first'), 2, 'a key in use is kept')
  t.equal(count('second'), 0, 'the least recently used one is gone')
})
