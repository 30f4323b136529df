// The HTTP rate limits' counters behind @fastify/rate-limit's documented custom store interface
// (its `store` option: a class the plugin constructs with its settings, then incr, read and child):
// in this process (memory-rate-limit-store.ts, on the monotonic clock) or in Redis
// (redis-rate-limit-store.ts, on Redis's clock, shared by every instance). Each implementation
// runs test/stores/rate-limits/rate-limit-store-contract.ts.
//
// Windows are fixed, as the plugin's own stores count them: a key's window starts at its first
// request and allows `max` requests until it ends; the plugin's continueExceeding and
// exponentialBackoff are refused, not ignored (nothing here uses them).
//
// Failure: a shared store that cannot answer calls back with StoreUnavailableError, which the
// plugin rethrows: the request fails with 503 store_unavailable (fail closed), never passes
// uncounted.

/** What incr and read call back with: the count so far in the window and the ms it has left. */
export type RateLimitCallback = (err: Error | null, result?: { current: number, ttl: number }) => void

/** The plugin's settings a store is built with, or a child for one route (or one createRateLimit). */
export interface RateLimitSettings {
  readonly continueExceeding?: boolean
  readonly exponentialBackoff?: boolean
  /** The route a child counts for (its own counters); createRateLimit's children have none. */
  readonly routeInfo?: { readonly method?: unknown, readonly url?: unknown }
}

export interface RateLimitStore {
  /** Counts one request for `key` in its window of `timeWindow` ms (a new window when the last one has ended). */
  incr (key: string, callback: RateLimitCallback, timeWindow: number, max: number): void
  /** The count and time left for `key` without counting (the plugin's `increment: false`). */
  read (key: string, callback: RateLimitCallback, timeWindow: number): void
  /** A store for one route's own limit: counters of their own, in the same place and on the same clock. */
  child (routeOptions: RateLimitSettings): RateLimitStore
}

/** What the plugin's `store` option takes: a class it constructs with its settings. */
export type RateLimitStoreClass = new (settings: RateLimitSettings) => RateLimitStore

/** Refuses the plugin's settings no store here implements. */
export function refuseUnsupported (settings: RateLimitSettings): void {
  if (settings.continueExceeding === true || settings.exponentialBackoff === true) {
    throw new Error('the rate-limit stores count plain fixed windows: continueExceeding and exponentialBackoff are ' +
      'not supported')
  }
}

/**
 * The namespace of a child's counters: the route it counts for, as the plugin's own stores name
 * it (method and URL), or '' for createRateLimit's children, which share one namespace and are
 * told apart by their keys (login-ip:, login:, cross-site:).
 */
export function childNamespace (settings: RateLimitSettings): string {
  const route = settings.routeInfo
  return route?.method === undefined && route?.url === undefined ? '' : `${String(route.method)}${String(route.url)}-`
}
