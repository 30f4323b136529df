// TokenBucket with a hand-moved clock: the burst, the refill rate, the cap at the burst, and
// that waiting exactly retryAfterMs() always earns a token (float rounding included).
import t from 'tap'
import { TokenBucket } from '../../src/ws/token-bucket.js'
import { TestClock } from '../helpers/test-server.js'

t.test('starts full: burst tokens at once, then none', async (t) => {
  const clock = new TestClock()
  const bucket = new TokenBucket(2, 5, clock.read)
  t.ok(bucket.isFull())
  for (let i = 0; i < 5; i++) t.ok(bucket.take(), `token ${i + 1}`)
  t.notOk(bucket.take(), 'the sixth is refused')
  t.notOk(bucket.isFull())
  t.equal(bucket.retryAfterMs(), 500, 'one token at 2/s takes 500 ms')
})

t.test('refills at the rate, continuously, and never above the burst', async (t) => {
  const clock = new TestClock()
  const bucket = new TokenBucket(4, 2, clock.read)
  t.ok(bucket.take())
  t.ok(bucket.take())
  clock.advance(100)
  t.equal(bucket.retryAfterMs(), 150, 'after 100 ms of 250: 150 to go')
  t.notOk(bucket.take())
  clock.advance(150)
  t.equal(bucket.retryAfterMs(), 0)
  t.ok(bucket.take(), 'refilled after 250 ms')
  t.notOk(bucket.take())
  clock.advance(3_600_000)
  t.ok(bucket.isFull(), 'an hour later: full')
  t.ok(bucket.take())
  t.ok(bucket.take())
  t.notOk(bucket.take(), 'but holds no more than the burst')
})

t.test('fractional rates round the wait up to whole milliseconds', async (t) => {
  const clock = new TestClock()
  const bucket = new TokenBucket(0.3, 1, clock.read)
  t.ok(bucket.take())
  t.equal(bucket.retryAfterMs(), 3334)
  clock.advance(3333)
  t.notOk(bucket.take(), '3333 ms is not enough')
  clock.advance(1)
  t.ok(bucket.take(), '3334 ms is')
})

t.test('a clock that goes backwards adds nothing', async (t) => {
  const clock = new TestClock()
  const bucket = new TokenBucket(1, 1, clock.read)
  t.ok(bucket.take())
  clock.advance(-10_000)
  t.notOk(bucket.take())
  clock.advance(10_000)
  t.notOk(bucket.take(), 'back at the start: still empty')
  clock.advance(1000)
  t.ok(bucket.take())
})

t.test('waiting exactly retryAfterMs() earns a token, and one millisecond less does not', async (t) => {
  let seed = 42
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  let early = 0
  let refused = 0
  let waits = 0
  for (const rate of [0.3, 0.7, 1, 2, 3, 7, 10, 33, 125, 333, 1000]) {
    const clock = new TestClock()
    const bucket = new TokenBucket(rate, 3, clock.read)
    for (let round = 0; round < 300; round++) {
      while (bucket.take()) { /* drain it */ }
      clock.advance(Math.floor(random() * (1000 / rate)))
      const wait = bucket.retryAfterMs()
      if (wait === 0) continue
      waits++
      clock.advance(wait - 1)
      if (bucket.take()) early++
      clock.advance(1)
      if (!bucket.take()) refused++
    }
  }
  t.ok(waits > 2000, `${waits} waits checked`)
  t.equal(refused, 0, 'never refused after waiting retryAfterMs')
  t.equal(early, 0, 'never allowed a millisecond earlier (the wait is tight)')
})
