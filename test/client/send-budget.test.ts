// The page's send budget (client/send-budget.ts) against the server's own bucket
// (src/ws/token-bucket.ts): random click timelines, each request and each reply delayed on the
// way by a random amount with stalls of seconds now and then, delivered in order as over one TCP
// connection, and not one request the page sends is refused by the server. Also: the page still
// gets the whole budget, waitMs() is exact, and holdFor() keeps quiet as long as the server asked.
import t from 'tap'
import { RATE_SHARE, SendBudget, type MessageLimits } from '../../client/send-budget.js'
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

interface Outcome { sent: number, refused: number, clicks: number }

/**
 * A delay on the way: mostly a little, now and then a stall of up to `stallMs` (a lost packet's
 * retransmit, Wi-Fi roaming), during which everything behind it waits (TCP keeps order).
 */
function delays (rand: () => number, stallMs: number): () => number {
  return () => rand() < 0.02 ? rand() * stallMs : rand() * 20
}

/**
 * One timeline, played event by event on one clock: clicks in bursts and pauses for
 * `durationMs`; each request sent travels to the server (in order), is judged by the server's
 * own bucket when it arrives, and its reply travels back (in order) to the page's budget. The
 * server's clock may run `drift` slower than the page's.
 */
function play (limits: MessageLimits, seed: number, durationMs: number, stallMs: number, drift = 0): Outcome {
  const rand = random(seed)
  let clock = 0
  const server = new TokenBucket(limits.messageRate, limits.messageBurst, () => clock * (1 - drift))
  const forward = delays(rand, stallMs)
  const back = delays(rand, stallMs)
  // The greeting reaches the page a while after the server's bucket was made.
  clock = rand() * 200
  const budget = new SendBudget(limits, () => clock)
  const clicks: number[] = []
  for (let at = clock; at < durationMs;) {
    // A burst of clicks 0 to 30 ms apart, or now and then a storm (a stuck key, a script) of up
    // to 2000 within a millisecond each; then a pause of up to a few refill intervals.
    const storm = rand() < 0.1
    const burst = 1 + Math.floor(rand() * (storm ? 2000 : 40))
    const spacingMs = storm ? 1 : 30
    for (let i = 0; i < burst && at < durationMs; i++) {
      clicks.push(at)
      at += rand() * spacingMs
    }
    at += rand() * 4000 / limits.messageRate
  }
  // Three streams, each in time order (TCP keeps both directions in order): clicks, arrivals at
  // the server, replies at the page. The earliest head goes next.
  const arrivals: number[] = []
  const replies: number[] = []
  let [click, arrival, reply] = [0, 0, 0]
  let sent = 0
  let refused = 0
  for (;;) {
    const next = Math.min(clicks[click] ?? Infinity, arrivals[arrival] ?? Infinity, replies[reply] ?? Infinity)
    if (next === Infinity) break
    clock = next
    if (replies[reply] === next) {
      reply++
      budget.answered()
    } else if (arrivals[arrival] === next) {
      arrival++
      if (!server.take()) refused++
      replies.push(Math.max(replies.at(-1) ?? 0, clock + back()))
    } else {
      click++
      if (!budget.trySend()) continue
      sent++
      arrivals.push(Math.max(arrivals.at(-1) ?? 0, clock + forward()))
    }
  }
  return { sent, refused, clicks: clicks.length }
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

t.test('no request the page sends is refused by the server, whatever the clicks, the delays and the ' +
  'stalls', async (t) => {
  for (const limits of LIMITS) {
    for (const [stallMs, drift] of [[0, 0], [1000, 0], [5000, 0], [1000, 0.005]] as const) {
      let sent = 0
      let clicks = 0
      const refusals: number[] = []
      for (let seed = 1; seed <= 60; seed++) {
        const outcome = play(limits, seed, 10_000, stallMs, drift)
        sent += outcome.sent
        clicks += outcome.clicks
        if (outcome.refused > 0) refusals.push(seed)
      }
      t.same(
        refusals,
        [],
        `rate ${limits.messageRate}/s, burst ${limits.messageBurst}, stalls up to ${stallMs} ms, ` +
        `server clock ${drift * 100}% slow: ${sent} of ${clicks} clicks sent in 60 timelines, none refused`
      )
      t.ok(sent < clicks, 'and the clicks did go past the budget')
    }
  }
})

t.test('the page gets the whole budget: the full burst, then 99% of the rate', async (t) => {
  for (const limits of LIMITS) {
    let now = 0
    const budget = new SendBudget(limits, () => now)
    let sent = 0
    const durationMs = 10_000
    // Replies come back at once: the page may send as fast as the budget refills.
    for (; now <= durationMs; now += 0.5) while (budget.trySend()) { sent++; budget.answered() }
    const server = limits.messageBurst + limits.messageRate * durationMs / 1000
    const floor = limits.messageBurst + Math.floor(limits.messageRate * RATE_SHARE * durationMs / 1000) - 1
    t.ok(
      sent >= floor && sent <= server,
      `rate ${limits.messageRate}/s, burst ${limits.messageBurst}: ` +
        `${sent} sent in 10 s where the server allows ${server}`
    )
  }
  let now = 0
  const silent = new SendBudget({ messageRate: 10, messageBurst: 20 }, () => now)
  let sent = 0
  for (; now <= 10_000; now += 1) while (silent.trySend()) sent++
  t.equal(
    sent,
    20,
    'with no reply at all the page sends the burst and then waits: it cannot know the server counted those'
  )
  t.equal(silent.unanswered, 20)
})

t.test('waitMs() is the time until trySend() succeeds; notSent() gives the claim back', async (t) => {
  let now = 1000
  const budget = new SendBudget({ messageRate: 4, messageBurst: 3 }, () => now)
  t.equal(budget.waitMs(), 0)
  for (let i = 0; i < 3; i++) t.ok(budget.trySend(), `request ${i + 1} of the burst`)
  t.notOk(budget.trySend(), 'the fourth waits')
  budget.notSent()
  t.ok(budget.trySend(), 'a claim given back can be used again')
  for (let i = 0; i < 3; i++) budget.answered()
  const wait = Math.ceil(1000 / (4 * RATE_SHARE))
  t.equal(budget.waitMs(), wait, `one refill at 99% of 4/s: ${wait} ms`)
  now += wait - 1
  t.notOk(budget.trySend())
  now += 1
  t.equal(budget.waitMs(), 0)
  t.ok(budget.trySend(), 'exactly when it said')
  t.notOk(budget.trySend())
})

t.test('holdFor() keeps quiet for as long as the server asked, then one request at a time', async (t) => {
  let now = 0
  const budget = new SendBudget({ messageRate: 10, messageBurst: 20 }, () => now)
  budget.holdFor(3000)
  t.ok(budget.waitMs() >= 3000 && budget.waitMs() <= 3001, `waits ${budget.waitMs()} ms`)
  now += 2999
  t.notOk(budget.trySend())
  now += 2
  t.ok(budget.trySend(), 'after the wait')
  t.notOk(budget.trySend(), 'one token, not a refilled bucket')
})
