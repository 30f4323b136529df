// The HTTP rate limits' counters in this process (one instance, no REDIS_URL), behind
// @fastify/rate-limit's store interface in place of its LocalStore. The plugin's LocalStore times
// its windows with Date.now(): a wall clock stepped back an hour kept every window open for that
// hour (a client past its limit was refused for an hour, told Retry-After 3600+), and one stepped
// forward ended every window at once (a flooder got a fresh budget). Here windows are measured on
// the injected monotonic clock (monotonic-clock.ts). Fixed windows, as the plugin's: a key's window
// starts at its first request and allows `max` requests until it ends. The Redis store needs no
// such thing: its windows are Redis-side TTLs (PEXPIRE/PTTL), on Redis's clock.

/** What the plugin passes to incr and read: the count so far in the window and the ms it has left. */
type Callback = (err: Error | null, result?: { current: number, ttl: number }) => void

interface Window {
  current: number
  /** When the window started, on the injected clock (ms). */
  startedAt: number
}

/** Keys kept at most per store (the plugin's LocalStore default); the least recently used go first. */
const MAX_KEYS = 5000

/** Fixed-window counters on the injected clock, by key, least recently used forgotten past MAX_KEYS. */
export class LocalRateLimitStore {
  readonly #windows = new Map<string, Window>()
  readonly #now: () => number

  /**
   * @param params the plugin's settings; continueExceeding and exponentialBackoff are refused (not used here)
   * @param now monotonic clock in milliseconds
   */
  constructor (params: { continueExceeding?: boolean, exponentialBackoff?: boolean }, now: () => number) {
    if (params.continueExceeding === true || params.exponentialBackoff === true) {
      throw new Error('LocalRateLimitStore counts plain fixed windows: continueExceeding and exponentialBackoff are not supported')
    }
    this.#now = now
  }

  /** Counts one request for `key` in its window (a new window when the last one has ended). */
  incr (key: string, callback: Callback, timeWindow: number): void {
    const now = this.#now()
    let window = this.#live(key, timeWindow, now)
    if (window === undefined) window = { current: 0, startedAt: now }
    window.current++
    this.#windows.delete(key)
    this.#windows.set(key, window)
    if (this.#windows.size > MAX_KEYS) this.#windows.delete(this.#windows.keys().next().value as string)
    callback(null, { current: window.current, ttl: window.startedAt + timeWindow - now })
  }

  /** The count and time left for `key` without counting (the plugin's `increment: false`). */
  read (key: string, callback: Callback, timeWindow: number): void {
    const now = this.#now()
    const window = this.#live(key, timeWindow, now)
    callback(null, window === undefined ? { current: 0, ttl: 0 } : { current: window.current, ttl: window.startedAt + timeWindow - now })
  }

  /** A store for one route's own limit: counters of its own, on the same clock. */
  child (routeOptions: { continueExceeding?: boolean, exponentialBackoff?: boolean }): LocalRateLimitStore {
    return new LocalRateLimitStore(routeOptions, this.#now)
  }

  /** The window of `key` if it is still running at `now`. */
  #live (key: string, timeWindow: number, now: number): Window | undefined {
    const window = this.#windows.get(key)
    return window !== undefined && now - window.startedAt < timeWindow ? window : undefined
  }
}
