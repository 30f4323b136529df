// The stores of several instances on one Redis (REDIS_URL): one connection (two clients, bounded,
// reconnecting), and on it the session store, the socket slots' leases and the rate-limit
// counters, every call measured for the metrics. Redis's password and CA are read once at
// start-up, before anything is written (readRedisCredentials, through open-stores.ts).
import type { Config, RedisConfig } from '../config/config.js'
import { RedisRateLimitStore } from './rate-limits/redis-rate-limit-store.js'
import type { RateLimitSettings, RateLimitStoreClass } from './rate-limits/rate-limit-store.js'
import { RedisConnection } from './redis/redis-connection.js'
import type { RedisCredentials } from './redis/redis-credentials.js'
import { RedisSessionStore } from './sessions/redis-session-store.js'
import type { StoreOptions, Stores } from './stores.js'
import { RedisUserSlots } from './user-slots/redis-user-slots.js'

type RedisStoresConfig = Pick<Config, 'session' | 'ws'>

/** Every store in Redis; connects in the background (nothing waits for Redis here). */
export function redisStores (
  config: RedisStoresConfig, redis: RedisConfig, credentials: RedisCredentials, options: StoreOptions
): Stores {
  const { instanceId, log, testClock } = options
  const connection = new RedisConnection(
    redis,
    log,
    `hero-socket:${instanceId.slice(0, 8)}`,
    options.observer,
    credentials
  )
  const { idleTimeoutMs, absoluteTimeoutMs, sweepIntervalMs } = config.session
  const timeouts = { idleTimeoutMs, absoluteTimeoutMs }
  const sessions = options.sessions ??
    new RedisSessionStore(connection, timeouts, { instanceId, log, sweepIntervalMs, testClock })
  // A test's own store publishes nothing here: only ours has a subscription to wait for.
  const own = sessions instanceof RedisSessionStore ? sessions : undefined
  const userSlots = new RedisUserSlots(connection, { leaseMs: config.ws.connectionLeaseMs, instanceId, log })
  return {
    sessions,
    userSlots,
    rateLimits: redisRateLimits(connection, testClock),
    health: {
      name: 'redis',
      get reachable () { return connection.reachable },
      get listening () { return connection.reachable && (own === undefined || own.subscribed) }
    },
    events: { onReconnect: (listener) => connection.onReconnect(listener) },
    async close () {
      await sessions.close()
      await userSlots.close()
      await connection.close()
    }
  }
}

/** The plugin's `store` option for counters in Redis, windows on Redis's clock (a test's, in tests). */
function redisRateLimits (connection: RedisConnection, testClock: (() => number) | undefined): RateLimitStoreClass {
  return class extends RedisRateLimitStore {
    constructor (settings: RateLimitSettings) {
      super(settings, connection, testClock === undefined ? {} : { testClock })
    }
  }
}
