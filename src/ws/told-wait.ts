// The rule a rate-limited client is held to: after a `rate_limited` reply, send nothing more until
// its `retryAfterMs` has passed. Only a message that arrives while a wait the server told is still
// running is abuse (counted towards MAX_RATE_LIMITED_MESSAGES, then 1008); a message refused
// after the wait is over is told a new wait and costs nothing, so a client that honours every
// `retryAfterMs` is never closed, while a flooder, whose messages pile into the wait it was told,
// meets 1008 as fast as before. A polite client costs at most a refusal or two per token it earns.
//
// Tolerance: the server's wait starts when it refuses, before its reply leaves, and the client's
// when the reply arrives, so network delay, and any jitter in it, only ever makes a polite client
// late. What can make it early is its own timer: Node rounds timers to whole milliseconds and can
// fire one early, Windows ticks every 15.6 ms, asyncio runs a timer within its clock's resolution,
// and a client clock may run slightly fast. So a message within RETRY_AFTER_TOLERANCE_MS of the
// end is not abuse, once per told wait (it is told the few milliseconds left); a second one is,
// so the tolerance cannot be used to send a burst at the end of every wait.

/** How early (ms) one message may arrive before the end of a told wait without being abuse. */
export const RETRY_AFTER_TOLERANCE_MS = 20

/** The last wait told to one connection, on a monotonic clock in milliseconds. */
export class ToldWait {
  #endsAt = Number.NEGATIVE_INFINITY
  #earlyArrivalSeen = false
  readonly #now: () => number

  /** @param now monotonic clock in milliseconds (the connection's own) */
  constructor (now: () => number) {
    this.#now = now
  }

  /**
   * A message the bucket refused arrives now: true when it ignores a wait told earlier that is
   * still running (abuse), false when no wait is running, or it is the one early arrival allowed.
   */
  ignored (): boolean {
    const now = this.#now()
    if (now >= this.#endsAt) return false
    if (now < this.#endsAt - RETRY_AFTER_TOLERANCE_MS || this.#earlyArrivalSeen) return true
    this.#earlyArrivalSeen = true
    return false
  }

  /** A `rate_limited` reply leaves now telling the client to wait `retryAfterMs`. */
  told (retryAfterMs: number): void {
    const now = this.#now()
    if (now >= this.#endsAt) this.#earlyArrivalSeen = false // a new wait, with its own tolerance
    this.#endsAt = Math.max(this.#endsAt, now + retryAfterMs)
  }
}
