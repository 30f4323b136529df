// The HTTP rate limits' counters in Redis, shared by every instance with the same
// REDIS_KEY_PREFIX: each count is one script (redis-rate-limit-scripts.ts) on Redis's clock, so
// instances whose clocks disagree still agree on every window. Each call is measured and bounded
// by REDIS_TIMEOUT_MS like every other Redis call, and fails with StoreUnavailableError (the
// request then fails with 503 store_unavailable), never passes uncounted.
import type { RedisConnection } from '../redis/redis-connection.js'
import { defineRateLimitScripts } from './redis-rate-limit-scripts.js'
import {
  childNamespace, refuseUnsupported, type RateLimitCallback, type RateLimitSettings, type RateLimitStore
} from './rate-limit-store.js'

export interface RedisRateLimitOptions {
  /**
   * Tests only: a clock in epoch milliseconds that the scripts use instead of Redis's TIME, so a
   * test can end a window by hand. Never set in production, where only Redis's clock decides.
   */
  readonly testClock?: () => number
}

/** Fixed-window counters in Redis, under the deployment's rate-limit prefix. */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: RedisConnection
  readonly #options: RedisRateLimitOptions
  /** Where this store's keys start: the deployment's rate-limit prefix, and a child's route. */
  readonly #prefix: string

  /** @param namespace a child's route (childNamespace); '' for the store the plugin builds */
  constructor (
    settings: RateLimitSettings,
    redis: RedisConnection,
    options: RedisRateLimitOptions = {},
    namespace = ''
  ) {
    refuseUnsupported(settings)
    this.#redis = redis
    this.#options = options
    this.#prefix = redis.keys.rateLimits + namespace
    defineRateLimitScripts(redis.client)
  }

  incr (key: string, callback: RateLimitCallback, timeWindow: number): void {
    const counted = this.#redis.client.heroRateLimitIncr(this.#prefix + key, timeWindow, this.#testTime())
    this.#answer('rate_limit', counted, callback)
  }

  read (key: string, callback: RateLimitCallback, timeWindow: number): void {
    const state = this.#redis.client.heroRateLimitRead(this.#prefix + key, timeWindow, this.#testTime())
    this.#answer('rate_limit_read', state, callback)
  }

  child (routeOptions: RateLimitSettings): RedisRateLimitStore {
    return new RedisRateLimitStore(routeOptions, this.#redis, this.#options, `route:${childNamespace(routeOptions)}`)
  }

  /** Calls back with the script's { count, ms left }, or StoreUnavailableError; the call measured. */
  #answer (operation: string, pending: Promise<[number, number]>, callback: RateLimitCallback): void {
    this.#redis.timed(operation, pending).then(
      ([current, ttl]) => callback(null, { current: Number(current), ttl: Number(ttl) }),
      (err: Error) => callback(err)
    )
  }

  /** The scripts' `test time` argument: '' (Redis's TIME decides) unless a test gave its clock. */
  #testTime (): string | number {
    return this.#options.testClock === undefined ? '' : this.#options.testClock()
  }
}
