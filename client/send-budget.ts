// The page's side of the server's message budget. The server refills a token bucket of
// messageBurst requests at messageRate per second for each connection, spends a token when a
// request arrives, and tells the page both numbers in user_authorized. The page keeps a bucket
// from the same numbers, and sends only what it can prove the server will pay for, so a person
// clicking however fast never meets rate_limited, let alone the 1008 that follows repeated
// refusals. The server's bucket stays the authority (a script that ignores this still meets both).
//
// The page cannot see when a request arrives, only when it was sent and when its reply came
// back (the server answers every request, in order, the moment it arrives). So it spends a
// token when the reply comes back, later than the server did, and counts every request still
// unanswered as already spent. Let D be the page's tokens less the server's, and U the requests
// the server has counted and the page has not: each arrival adds one to both, each reply takes
// one from both, and refilling never raises D (it stops first for whichever bucket is full; the
// server's full bucket is at least the page's). So D <= U at all times. A request is sent only
// when the page's tokens less its unanswered requests are at least 1, and by the time it
// arrives those unanswered ones are either answered (spent by the page) or still counted in U:
// the server has a token for it, however long the request or any reply took on the way (a
// stalled network included). test/client/send-budget.test.ts plays random clicks, delays and
// stalls against the server's own TokenBucket.
//
// Two clocks still differ in rate (NTP slews up to 0.05%, a VM more): the page refills 1%
// slower than the server. It reads a monotonic clock (performance.now), so a change of the
// wall clock neither refills nor freezes it.

/** The budget the server announces (user_authorized `limits`). */
export interface MessageLimits {
  readonly messageRate: number
  readonly messageBurst: number
}

/** The share of the server's rate the page refills at: the allowance for clocks running apart. */
export const RATE_SHARE = 0.99
/** Float slack when counting a whole token: waiting waitMs() always earns it (as on the server). */
const TOKEN_SLACK = 1e-9

/** One connection's budget, as the page sees it. Starts full, like the server's. */
export class SendBudget {
  readonly #burst: number
  readonly #ratePerMs: number
  readonly #now: () => number
  #tokens: number
  #updatedAt: number
  /** Requests sent and not yet answered. */
  #unanswered = 0

  /** @param now a monotonic clock in milliseconds (default performance.now) */
  constructor (limits: MessageLimits, now: () => number = () => performance.now()) {
    this.#burst = limits.messageBurst
    this.#ratePerMs = limits.messageRate * RATE_SHARE / 1000
    this.#now = now
    this.#tokens = this.#burst
    this.#updatedAt = now()
  }

  /** Requests sent and not yet answered. */
  get unanswered (): number {
    return this.#unanswered
  }

  /** Claims a token for a request about to be sent; false (nothing claimed) when there is none. */
  trySend (): boolean {
    if (this.#available() < 1 - TOKEN_SLACK) return false
    this.#unanswered++
    return true
  }

  /** A request claimed by trySend() was not sent after all (the socket was closing). */
  notSent (): void {
    this.#unanswered = Math.max(0, this.#unanswered - 1)
  }

  /** The reply to one request arrived (an answer or an error, rate_limited included). */
  answered (): void {
    this.#refill()
    this.#unanswered = Math.max(0, this.#unanswered - 1)
    this.#tokens -= 1
  }

  /** Milliseconds until trySend() can succeed, if no reply is needed first (0 when it can now). */
  waitMs (): number {
    const available = this.#available()
    return available >= 1 - TOKEN_SLACK ? 0 : Math.ceil((1 - TOKEN_SLACK - available) / this.#ratePerMs)
  }

  /**
   * The server refused a request anyway and asked for `ms` of quiet (rate_limited with
   * retryAfterMs): nothing more is sent until then.
   */
  holdFor (ms: number): void {
    this.#refill()
    this.#tokens = Math.min(this.#tokens, this.#unanswered + 1 - TOKEN_SLACK - Math.max(0, ms) * this.#ratePerMs)
  }

  /** Tokens left once every unanswered request is paid for. */
  #available (): number {
    this.#refill()
    return this.#tokens - this.#unanswered
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
