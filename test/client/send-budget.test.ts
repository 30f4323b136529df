// The page's send budget (client/send-budget.ts) against the server's own bucket
// (src/ws/token-bucket.ts): random click timelines, each request delayed on the way by a random
// amount, delivered in order as over one TCP connection, and not one request the page sends is
// refused by the server. Also: the page still gets nearly the whole budget, waitMs() is exact,
// and holdFor() keeps quiet as long as the server asked.
import t from 'tap'
import { RESERVE_TOKENS, SendBudget, SINGLE_TOKEN_RATE_SHARE, type MessageLimits } from '../../client/send-budget.js'
import { TokenBucket } from '../../src/ws/token-bucket.js'

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** How much the delay of two requests may differ for the page's allowance to cover it (ms). */
function jitterAllowanceMs (limits: MessageLimits): number {
  return limits.messageBurst > RESERVE_TOKENS ? 1000 / limits.messageRate : (1000 / (limits.messageRate * SINGLE_TOKEN_RATE_SHARE)) - 1000 / limits.messageRate
}

interface Outcome { sent: number, refused: number, clicks: number }

/** One timeline: clicks in bursts and pauses for `durationMs`; the server judges each arrival. */
function play (limits: MessageLimits, seed: number, durationMs: number): Outcome {
  const rand = random(seed)
  let clock = 0
  const server = new TokenBucket(limits.messageRate, limits.messageBurst, () => clock)
  const baseDelayMs = rand() * 200
  // The greeting reaches the page a delay after the server's bucket was made.
  const greetingAt = baseDelayMs
  const page = { now: greetingAt }
  const budget = new SendBudget(limits, () => page.now)
  const arrivals: number[] = []
  let lastArrival = 0
  let clicks = 0
  for (let at = greetingAt; at < durationMs;) {
    // A burst of clicks 0 to 30 ms apart, or now and then a storm (a stuck key, a script) of up
    // to 2000 within a millisecond each; then a pause of up to a few refill intervals.
    const storm = rand() < 0.1
    const burst = 1 + Math.floor(rand() * (storm ? 2000 : 40))
    const spacingMs = storm ? 1 : 30
    for (let i = 0; i < burst && at < durationMs; i++) {
      page.now = at
      clicks++
      if (budget.take()) {
        // Delivered in order (one TCP stream): never before the previous request.
        const arrival = Math.max(lastArrival, at + baseDelayMs + rand() * jitterAllowanceMs(limits) * 0.999)
        arrivals.push(arrival)
        lastArrival = arrival
      }
      at += rand() * spacingMs
    }
    at += rand() * 4000 / limits.messageRate
  }
  let refused = 0
  for (const arrival of arrivals) {
    clock = arrival
    if (!server.take()) refused++
  }
  return { sent: arrivals.length, refused, clicks }
}

const LIMITS: MessageLimits[] = [
  { messageRate: 10, messageBurst: 20 }, // the defaults
  { messageRate: 1, messageBurst: 2 },
  { messageRate: 1, messageBurst: 1 },
  { messageRate: 0.5, messageBurst: 1 },
  { messageRate: 2.5, messageBurst: 3 },
  { messageRate: 100, messageBurst: 5 },
  { messageRate: 1000, messageBurst: 1000 }
]

t.test('no request the page sends is refused by the server, whatever the clicks and the delays', async (t) => {
  for (const limits of LIMITS) {
    let sent = 0
    let clicks = 0
    const refusals: number[] = []
    for (let seed = 1; seed <= 200; seed++) {
      const outcome = play(limits, seed, 20_000)
      sent += outcome.sent
      clicks += outcome.clicks
      if (outcome.refused > 0) refusals.push(seed)
    }
    t.same(refusals, [], `rate ${limits.messageRate}/s, burst ${limits.messageBurst}: ${sent} of ${clicks} clicks sent in 200 timelines, none refused`)
    t.ok(sent < clicks, 'and the clicks did go past the budget')
  }
})

t.test('the page still gets nearly the whole budget: the burst less its reserve, then the full rate', async (t) => {
  for (const limits of LIMITS.filter((l) => l.messageBurst > RESERVE_TOKENS)) {
    let now = 0
    const budget = new SendBudget(limits, () => now)
    let sent = 0
    const durationMs = 10_000
    for (; now <= durationMs; now += 0.5) while (budget.take()) sent++
    const server = limits.messageBurst + limits.messageRate * durationMs / 1000
    t.ok(sent >= server - RESERVE_TOKENS - 1 && sent <= server - RESERVE_TOKENS, `rate ${limits.messageRate}/s, burst ${limits.messageBurst}: ${sent} sent in 10 s where the server allows ${server}`)
  }
  let now = 0
  const single = new SendBudget({ messageRate: 1, messageBurst: 1 }, () => now)
  let sent = 0
  for (; now <= 10_000; now += 1) while (single.take()) sent++
  t.equal(sent, 1 + Math.floor(10 * SINGLE_TOKEN_RATE_SHARE), 'with a burst of 1: the one token, then 80% of the rate')
})

t.test('waitMs() is the time until take() succeeds', async (t) => {
  let now = 1000
  const budget = new SendBudget({ messageRate: 4, messageBurst: 3 }, () => now)
  t.equal(budget.waitMs(), 0)
  t.ok(budget.take())
  t.ok(budget.take())
  t.notOk(budget.take(), 'two of three: one is kept in reserve')
  t.equal(budget.waitMs(), 250)
  now += 249
  t.equal(budget.waitMs(), 1)
  t.notOk(budget.take())
  now += 1
  t.equal(budget.waitMs(), 0)
  t.ok(budget.take(), 'exactly when it said')
  t.notOk(budget.take())
})

t.test('holdFor() keeps quiet for as long as the server asked, then one request at a time', async (t) => {
  let now = 0
  const budget = new SendBudget({ messageRate: 10, messageBurst: 20 }, () => now)
  budget.holdFor(3000)
  t.equal(budget.waitMs(), 3000)
  now += 2999
  t.notOk(budget.take())
  now += 1
  t.ok(budget.take(), 'after the wait')
  t.notOk(budget.take(), 'one token, not a refilled bucket')
  budget.holdFor(0)
  t.equal(budget.waitMs(), 100, 'a hold shorter than a refill still waits one refill')
})
