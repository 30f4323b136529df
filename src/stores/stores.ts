// What every store backend gives the app, chosen once (open-stores.ts): the session store, the
// per-user socket slots, the HTTP rate limits' counters, a health probe for readiness and the
// metrics, the events after which what may have been missed is checked again, and close().
// Callers type on these interfaces only; which backend it is, and how it reaches its data, stays
// in this folder.
import type { FastifyBaseLogger } from 'fastify'
import type { RateLimitStoreClass } from './rate-limits/rate-limit-store.js'
import type { SessionStore } from './sessions/session-store.js'
import type { UserSlots } from './user-slots/user-slots.js'

/** Whether a store outside this process answers (what /readyz and the up gauge read). */
export interface StoreHealth {
  /** The readiness check's name in /readyz (`redis`). */
  readonly name: string
  /** True while the store answers this instance. */
  readonly reachable: boolean
  /**
   * True while it answers and this instance hears at once what the others publish (session ends):
   * what a test or a benchmark waits for before its first request.
   */
  readonly listening: boolean
}

/** What a store outside this process tells of its connection. */
export interface StoreEvents {
  /** Calls `listener` after every reconnect (not the first connect); returns the unsubscribe. */
  onReconnect (listener: () => void): () => void
}

/** What a backend reports of its calls and reconnects (the metrics: hero_socket_redis_*). */
export interface StoreObserver {
  /** One call of `operation` took `seconds`, and succeeded (`ok`) or failed. */
  call (operation: string, seconds: number, ok: boolean): void
  /** One of the backend's clients (`commands`, `pubsub`) connected again. */
  reconnected (client: string): void
}

export interface Stores {
  readonly sessions: SessionStore
  readonly userSlots: UserSlots
  /** The HTTP rate limits' counters: @fastify/rate-limit's `store` option. */
  readonly rateLimits: RateLimitStoreClass
  /** undefined when everything is kept in this process (nothing to ask). */
  readonly health: StoreHealth | undefined
  /** undefined when nothing can be missed (no connection to lose). */
  readonly events: StoreEvents | undefined
  /** Stops the stores' timers and closes their connection; later calls need not work. */
  close (): Promise<void>
}

/** What every backend is built with besides the configuration. */
export interface StoreOptions {
  /** The clock in-process expiry and windows are measured on, in ms (monotonic, unless a test's). */
  readonly now: () => number
  /**
   * A test's clock in epoch ms, which a shared store uses in place of its own (Redis's TIME), so a
   * test can move expiry and windows by hand. undefined in production, where only the store's
   * clock decides.
   */
  readonly testClock: (() => number) | undefined
  /** This process among the instances sharing a store (leases, and the origin of published ends). */
  readonly instanceId: string
  readonly log: FastifyBaseLogger
  readonly observer: StoreObserver
  /** A session store a test brings (kept across its restarts); default: the backend's own. */
  readonly sessions?: SessionStore | undefined
}
