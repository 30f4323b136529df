// HandshakeLimiter: one bucket per IP with a hand-moved clock, and idle IPs forgotten so the
// map cannot grow without bound.
import t from 'tap'
import { HandshakeLimiter } from '../../src/ws/handshake-limiter.js'
import { TestClock } from '../helpers/test-server.js'

t.test('each IP has its own burst; the answer is the wait in ms', async (t) => {
  const clock = new TestClock()
  const limiter = new HandshakeLimiter(10, 3, clock.read)
  for (let i = 0; i < 3; i++) t.equal(limiter.take('10.0.0.1'), 0, `10.0.0.1 handshake ${i + 1}`)
  t.equal(limiter.take('10.0.0.1'), 100, 'the fourth waits 100 ms (10/s)')
  t.equal(limiter.take('10.0.0.2'), 0, 'another IP is not affected')
  clock.advance(99)
  t.equal(limiter.take('10.0.0.1'), 1)
  clock.advance(1)
  t.equal(limiter.take('10.0.0.1'), 0, 'refilled')
  t.equal(limiter.size, 2)
})

t.test('a refused handshake spends nothing: the wait only shrinks', async (t) => {
  const clock = new TestClock()
  const limiter = new HandshakeLimiter(1, 1, clock.read)
  t.equal(limiter.take('::1'), 0)
  const waits = []
  for (let i = 0; i < 5; i++) {
    waits.push(limiter.take('::1'))
    clock.advance(100)
  }
  t.same(waits, [1000, 900, 800, 700, 600])
})

t.test('prune forgets IPs whose bucket is full again', async (t) => {
  const clock = new TestClock()
  const limiter = new HandshakeLimiter(1, 2, clock.read)
  limiter.take('a')
  limiter.take('b')
  limiter.take('b')
  clock.advance(1000)
  limiter.prune()
  t.equal(limiter.size, 1, 'a refilled and is forgotten; b is still one short')
  clock.advance(1000)
  limiter.prune()
  t.equal(limiter.size, 0)
  t.equal(limiter.take('b'), 0, 'a forgotten IP starts with a full bucket')
})

t.test('many distinct IPs: the map is pruned by itself every 10 000 handshakes', async (t) => {
  const clock = new TestClock()
  const limiter = new HandshakeLimiter(10, 1, clock.read)
  for (let i = 0; i < 9_999; i++) limiter.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
  t.equal(limiter.size, 9_999)
  clock.advance(1000)
  limiter.take('192.0.2.1')
  t.equal(limiter.size, 1, 'the 10 000th handshake pruned every refilled IP')
})
