// The stores of one instance, in this process (no REDIS_URL): sessions in a Map, socket slots
// counted here, rate-limit windows on the monotonic clock. Nothing outside the process to ask,
// so no health probe and no reconnects.
import type { Config } from '../config/config.js'
import { MemoryRateLimitStore } from './rate-limits/memory-rate-limit-store.js'
import type { RateLimitSettings, RateLimitStoreClass } from './rate-limits/rate-limit-store.js'
import { MemorySessionStore } from './sessions/memory-session-store.js'
import type { StoreOptions, Stores } from './stores.js'
import { MemoryUserSlots } from './user-slots/memory-user-slots.js'

type MemoryStoresConfig = Pick<Config, 'session'>

/** Every store in this process. */
export function memoryStores (config: MemoryStoresConfig, options: StoreOptions): Stores {
  const { idleTimeoutMs, absoluteTimeoutMs, sweepIntervalMs } = config.session
  const timeouts = { idleTimeoutMs, absoluteTimeoutMs }
  const sessions = options.sessions ??
    new MemorySessionStore(timeouts, { now: options.now, sweepIntervalMs })
  const userSlots = new MemoryUserSlots()
  return {
    sessions,
    userSlots,
    rateLimits: memoryRateLimits(options.now),
    health: undefined,
    events: undefined,
    async close () {
      await sessions.close()
      await userSlots.close()
    }
  }
}

/** The plugin's `store` option for counters in this process, windows measured on `now`. */
function memoryRateLimits (now: () => number): RateLimitStoreClass {
  return class extends MemoryRateLimitStore {
    constructor (settings: RateLimitSettings) {
      super(settings, now)
    }
  }
}
