// The HTTP rate limits' counters in this process (one instance, no REDIS_URL), in place of
// @fastify/rate-limit's LocalStore. The plugin's LocalStore times its windows with Date.now(): a
// wall clock stepped back an hour kept every window open for that hour (a client past its limit
// was refused for an hour, told Retry-After 3600+), and one stepped forward ended every window at
// once (a flooder got a fresh budget). Here windows are measured on the injected monotonic clock
// (monotonic-clock.ts). Children count in a namespace per route, as the Redis store's do: the
// children of createRateLimit share one, told apart by their keys.
import {
  childNamespace, refuseUnsupported, type RateLimitCallback, type RateLimitSettings, type RateLimitStore
} from './rate-limit-store.js'

interface Window {
  current: number
  /** When the window started, on the injected clock (ms). */
  startedAt: number
}

/** Keys kept at most per namespace (the plugin's LocalStore default); the least recently used go first. */
const MAX_KEYS = 5000

/** Fixed-window counters on the injected clock, by namespace and key, least recently used forgotten past MAX_KEYS. */
export class MemoryRateLimitStore implements RateLimitStore {
  /** Every namespace's counters, shared by the store and its children. */
  readonly #namespaces: Map<string, Map<string, Window>>
  readonly #windows: Map<string, Window>
  readonly #now: () => number

  /**
   * @param settings the plugin's; continueExceeding and exponentialBackoff are refused (not used here)
   * @param now monotonic clock in milliseconds
   */
  constructor (
    settings: RateLimitSettings,
    now: () => number,
    namespace = '',
    namespaces = new Map<string, Map<string, Window>>()
  ) {
    refuseUnsupported(settings)
    this.#now = now
    this.#namespaces = namespaces
    let windows = namespaces.get(namespace)
    if (windows === undefined) {
      windows = new Map()
      namespaces.set(namespace, windows)
    }
    this.#windows = windows
  }

  incr (key: string, callback: RateLimitCallback, timeWindow: number): void {
    const now = this.#now()
    let window = this.#live(key, timeWindow, now)
    if (window === undefined) window = { current: 0, startedAt: now }
    window.current++
    this.#windows.delete(key)
    this.#windows.set(key, window)
    if (this.#windows.size > MAX_KEYS) this.#windows.delete(this.#windows.keys().next().value as string)
    callback(null, { current: window.current, ttl: window.startedAt + timeWindow - now })
  }

  read (key: string, callback: RateLimitCallback, timeWindow: number): void {
    const now = this.#now()
    const window = this.#live(key, timeWindow, now)
    callback(null, window === undefined
      ? { current: 0, ttl: 0 }
      : { current: window.current, ttl: window.startedAt + timeWindow - now })
  }

  child (routeOptions: RateLimitSettings): MemoryRateLimitStore {
    return new MemoryRateLimitStore(routeOptions, this.#now, `child:${childNamespace(routeOptions)}`, this.#namespaces)
  }

  /** The window of `key` if it is still running at `now`. */
  #live (key: string, timeWindow: number, now: number): Window | undefined {
    const window = this.#windows.get(key)
    return window !== undefined && now - window.startedAt < timeWindow ? window : undefined
  }
}
