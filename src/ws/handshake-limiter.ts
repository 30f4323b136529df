// Per-client handshake budgets for the upgrade path, which bypasses Fastify's routing (and so
// @fastify/rate-limit). One token bucket per client key; idle (full) buckets are forgotten.
import { monotonicNow } from '../monotonic-clock.js'
import { TokenBucket } from './token-bucket.js'

/** Per-IP token buckets for WebSocket handshakes. */
export class HandshakeLimiter {
  readonly #buckets = new Map<string, TokenBucket>()
  readonly #rate: number
  readonly #burst: number
  readonly #now: () => number
  #takesSincePrune = 0

  /**
   * @param rate handshakes per second per IP
   * @param burst handshakes one IP may make at once
   * @param now clock in milliseconds (default the monotonic clock)
   */
  constructor (rate: number, burst: number, now: () => number = monotonicNow) {
    this.#rate = rate
    this.#burst = burst
    this.#now = now
  }

  /** Spends one handshake for `ip`; returns 0 when allowed, else milliseconds until one is. */
  take (ip: string): number {
    if (++this.#takesSincePrune >= 10_000) this.prune()
    let bucket = this.#buckets.get(ip)
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#rate, this.#burst, this.#now)
      this.#buckets.set(ip, bucket)
    }
    return bucket.take() ? 0 : Math.max(1, bucket.retryAfterMs())
  }

  /** Gives back a handshake spent by take() (one that turned out to be refused). */
  refund (ip: string): void {
    this.#buckets.get(ip)?.refund()
  }

  /** Forgets IPs whose bucket has refilled (they are as if never seen). */
  prune (): void {
    this.#takesSincePrune = 0
    for (const [ip, bucket] of this.#buckets) if (bucket.isFull()) this.#buckets.delete(ip)
  }

  /** IPs currently tracked. */
  get size (): number {
    return this.#buckets.size
  }
}
