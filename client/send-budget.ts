// The page's side of the server's message budget. The server refills a token bucket of
// messageBurst requests at messageRate per second for each connection and tells the page both in
// user_authorized; the page keeps its own bucket from those numbers and sends only what it can
// pay for, so a person clicking however fast never meets rate_limited, let alone the 1008 that
// follows repeated refusals. The server's bucket stays the authority (a script that ignores this
// still meets both).
//
// The server counts a request when it arrives, the page when it leaves, and two requests can
// take different times on the way. The page therefore keeps one token of the burst in reserve:
// that absorbs up to one refill interval (1/messageRate) of difference in delay between any two
// requests. With a burst of 1 there is nothing to keep back, and the page refills 20% slower
// instead. test/client/send-budget.test.ts plays random click timelines and delays against the
// server's own TokenBucket to show no request the page sends is refused.

/** The budget the server announces (user_authorized `limits`). */
export interface MessageLimits {
  readonly messageRate: number
  readonly messageBurst: number
}

/** Tokens of the server's burst the page never spends: the allowance for delay differences. */
export const RESERVE_TOKENS = 1
/** With a burst of 1 (no reserve possible), the share of the server's rate the page refills at. */
export const SINGLE_TOKEN_RATE_SHARE = 0.8

/** Float slack when counting a whole token: waiting waitMs() always earns it (as on the server). */
const TOKEN_SLACK = 1e-9

/** One connection's budget, as the page sees it. Starts full, like the server's. */
export class SendBudget {
  readonly #burst: number
  readonly #ratePerMs: number
  readonly #now: () => number
  #tokens: number
  #updatedAt: number

  /** @param now clock in milliseconds (default Date.now) */
  constructor (limits: MessageLimits, now: () => number = Date.now) {
    const reserve = limits.messageBurst > RESERVE_TOKENS ? RESERVE_TOKENS : 0
    this.#burst = limits.messageBurst - reserve
    this.#ratePerMs = (reserve > 0 ? limits.messageRate : limits.messageRate * SINGLE_TOKEN_RATE_SHARE) / 1000
    this.#now = now
    this.#tokens = this.#burst
    this.#updatedAt = now()
  }

  /** Spends one token for a request about to be sent; false (nothing spent) when there is none. */
  take (): boolean {
    this.#refill()
    if (this.#tokens < 1 - TOKEN_SLACK) return false
    this.#tokens = Math.max(0, this.#tokens - 1)
    return true
  }

  /** Milliseconds until take() can succeed (0 when it can now). */
  waitMs (): number {
    this.#refill()
    if (this.#tokens >= 1 - TOKEN_SLACK) return 0
    // After holdFor(), refilling starts in the future.
    const notBefore = Math.max(0, this.#updatedAt - this.#now())
    return Math.ceil(notBefore + (1 - TOKEN_SLACK - this.#tokens) / this.#ratePerMs)
  }

  /**
   * The server refused a request anyway and asked for `ms` of quiet (rate_limited with
   * retryAfterMs): empty the bucket and start refilling only after that.
   */
  holdFor (ms: number): void {
    this.#refill()
    this.#tokens = 0
    this.#updatedAt = Math.max(this.#updatedAt, this.#now() + Math.max(0, ms) - 1 / this.#ratePerMs)
  }

  #refill (): void {
    const now = this.#now()
    const elapsed = now - this.#updatedAt
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#ratePerMs)
      this.#updatedAt = now
    }
  }
}
