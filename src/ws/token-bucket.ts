// A token bucket with an injected clock: `rate` tokens per second refill up to `burst`.
// Used per connection for messages and abuse, and per client for handshakes. The clock is the
// monotonic one (monotonic-clock.ts): a wall clock stepped back would freeze every bucket, and
// one stepped forward would refill them all.
import { monotonicNow } from '../monotonic-clock.js'

// Refills summed in steps drift by float rounding (at 2/s, 250 ms then 249 ms leave a wait of
// 1.0000000000000009 ms, and a client that waited a ceil'd wait could still find 0.9999999 tokens),
// so a whole token is counted with this slack: waiting retryAfterMs() always earns the token.
const TOKEN_SLACK = 1e-9

/** One bucket. Starts full. */
export class TokenBucket {
  #tokens: number
  #updatedAt: number
  readonly #ratePerMs: number
  readonly #burst: number
  readonly #now: () => number

  /**
   * @param rate tokens added per second
   * @param burst bucket size (most tokens spendable at once)
   * @param now clock in milliseconds (default the monotonic clock)
   */
  constructor (rate: number, burst: number, now: () => number = monotonicNow) {
    this.#ratePerMs = rate / 1000
    this.#burst = burst
    this.#now = now
    this.#tokens = burst
    this.#updatedAt = now()
  }

  /** Spends one token; false when the bucket is empty. */
  take (): boolean {
    this.#refill()
    if (this.#tokens < 1 - TOKEN_SLACK) return false
    this.#tokens = Math.max(0, this.#tokens - 1)
    return true
  }

  /** Gives back one token spent by take() (never above the burst). */
  refund (): void {
    this.#refill()
    this.#tokens = Math.min(this.#burst, this.#tokens + 1)
  }

  /** Milliseconds until one token is available (0 when one is). */
  retryAfterMs (): number {
    this.#refill()
    return this.#tokens >= 1 - TOKEN_SLACK ? 0 : Math.ceil((1 - TOKEN_SLACK - this.#tokens) / this.#ratePerMs)
  }

  /** True when the bucket is full again (an idle entry that can be forgotten). */
  isFull (): boolean {
    this.#refill()
    return this.#tokens >= this.#burst
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
