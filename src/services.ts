// The services the app is built from: configuration, TLS credentials, pages, the users store, the
// shared state (sessions and per-user socket slots: in this process, or in Redis when REDIS_URL
// is set), the password hasher (argon2 in its own process) and the Origin allow-list. Built
// before Fastify, each from the configuration unless a test passes its own.
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { HashingProcess, type HashingProcessOptions } from './accounts/hashing-process.js'
import { FileUsersStore } from './accounts/file-users-store.js'
import { PasswordHasher } from './accounts/password-hasher.js'
import type { UsersStore } from './accounts/users-store.js'
import type { Config } from './config/config.js'
import { exposedSecretFiles } from './config/secret-files.js'
import { loadTlsCredentials, type TlsCredentials } from './config/tls-credentials.js'
import { AllowedOrigins } from './http/allowed-origins.js'
import { AppMetrics } from './operations/metrics.js'
import { readMetricsToken, type MetricsToken } from './operations/operators-listener.js'
import { Readiness } from './operations/readiness.js'
import { TrustedProxies } from './http/client-address.js'
import { loadPages, type Pages } from './http/pages.js'
import { RedisConnection, type RedisObserver } from './redis/redis-connection.js'
import { monotonicNow } from './monotonic-clock.js'
import { readRedisCredentials, type RedisCredentials } from './redis/redis-credentials.js'
import { MemorySessionStore } from './sessions/memory-session-store.js'
import { RedisSessionStore } from './sessions/redis-session-store.js'
import type { SessionStore } from './sessions/session-store.js'
import { RedisUserSlots } from './ws/redis-user-slots.js'
import { MemoryUserSlots, type UserSlots } from './ws/user-slots.js'

/** Everything a test may swap; production uses the defaults. */
export interface ServiceOverrides {
  /**
   * A test's clock in milliseconds for every limit and in-process expiry (default the monotonic
   * clock, monotonic-clock.ts), which the Redis session store also uses in place of Redis's TIME
   * (without it, only Redis's TIME).
   */
  readonly now?: () => number
  readonly sessions?: SessionStore
  readonly users?: UsersStore
  readonly tls?: TlsCredentials
  /** The metrics token, when the caller has read it already (server.ts, before the users file). */
  readonly metricsToken?: MetricsToken
  /** Redis's password and CA, when the caller has read them already (server.ts, before the users file). */
  readonly redisCredentials?: RedisCredentials
  /** Concurrency and queue bound of the password hashing process (defaults: see HashingProcess). */
  readonly hashing?: Pick<HashingProcessOptions, 'concurrency' | 'maxQueued'>
  /** A hashing process shared with other apps (tests, where hashing is not under test); the app does not close it. */
  readonly sharedHashingProcess?: HashingProcess
}

export interface Services {
  readonly config: Config
  /** This process among the instances sharing a store (leases, and the origin of published ends). */
  readonly instanceId: string
  /** The shared store, when REDIS_URL is set. */
  readonly redis: RedisConnection | undefined
  /** undefined with TLS=off. */
  readonly tls: TlsCredentials | undefined
  /** The operators' listener's certificate (TLS_CERT, TLS_KEY) with METRICS_TLS=on; undefined: plain HTTP. */
  readonly operatorsTls: TlsCredentials | undefined
  /** What /metrics asks for, with METRICS_TOKEN_FILE. */
  readonly metricsToken: MetricsToken | undefined
  readonly pages: Pages
  readonly users: UsersStore
  readonly sessions: SessionStore
  readonly userSlots: UserSlots
  readonly hasher: PasswordHasher
  readonly allowedOrigins: AllowedOrigins
  readonly trustedProxies: TrustedProxies
  readonly metrics: AppMetrics
  readonly readiness: Readiness
  /** The clock every limit and in-process expiry measures elapsed time with (monotonic, unless a test's). */
  readonly now: () => number
}

/**
 * Builds the services; the hashing process is started and its dummy hash ready. Redis is not
 * waited for. What can fail on a bad file or build (TLS, pages, metrics token, the hashing
 * worker) is read before anything is opened; a failure after that closes what was started.
 */
export async function createServices (config: Config, log: FastifyBaseLogger, overrides: ServiceOverrides = {}): Promise<Services> {
  const now = overrides.now ?? monotonicNow
  const instanceId = randomUUID()
  const tls = config.tls ? (overrides.tls ?? await loadTlsCredentials(config)) : undefined
  const operatorsTls = config.metrics?.tls === true ? (tls ?? await loadTlsCredentials(config)) : undefined
  const pages = await loadPages()
  const metricsToken = overrides.metricsToken ?? await readMetricsToken(config.metrics)
  const redisCredentials = config.redis === undefined ? undefined : (overrides.redisCredentials ?? await readRedisCredentials(config.redis))
  // argon2 runs in a child process at a lower CPU priority, one check per CPU at a time: a burst
  // of logins (about 45 ms of CPU each) then waits for the CPU instead of delaying every reply.
  // The child starts at warmUp(); the constructor only checks that the worker is built.
  const hasher = new PasswordHasher(config.argon2, {
    closesProcess: overrides.sharedHashingProcess === undefined,
    hashingProcess: overrides.sharedHashingProcess ?? new HashingProcess({
      ...overrides.hashing,
      maxCheckMs: config.hashCheckTimeoutMs,
      onUnexpectedExit: (how) => log.error({ event: 'hashing_process_exited', how }, 'password hashing process exited; starting a new one')
    })
  })
  const users = overrides.users ?? await openUsersFile(config, log)
  await warnExposedSecrets(config, log)
  const metrics = new AppMetrics()
  const redis = config.redis === undefined ? undefined : new RedisConnection(config.redis, log, `hero-socket:${instanceId.slice(0, 8)}`, redisObserver(metrics), redisCredentials)
  const shared = { now, testClock: overrides.now, instanceId, log }
  const services: Services = {
    config, instanceId, redis, tls, operatorsTls, metricsToken, pages, users,
    sessions: overrides.sessions ?? sessionStore(config, redis, shared),
    userSlots: userSlots(config, redis, shared),
    hasher, allowedOrigins: new AllowedOrigins(), trustedProxies: new TrustedProxies(config.trustedProxies),
    metrics, readiness: new Readiness(hasher.hashingProcess, redis), now
  }
  try {
    await hasher.warmUp()
  } catch (err) {
    await closeServices(services)
    throw err
  }
  return services
}

/** What the Redis connection tells the metrics. */
function redisObserver (metrics: AppMetrics): RedisObserver {
  return {
    call (operation, seconds, ok) {
      metrics.redisDuration.observe({ operation }, seconds)
      if (!ok) metrics.redisErrors.inc({ operation })
    },
    reconnected (client) {
      metrics.redisReconnects.inc({ client })
    }
  }
}

/** The users file, watched; a warning for each way others could read or change it. */
async function openUsersFile (config: Config, log: FastifyBaseLogger): Promise<FileUsersStore> {
  const store = await FileUsersStore.open(config.usersFile, { watch: true })
  for (const problem of await store.permissionProblems()) log.warn({ event: 'users_file_exposed' }, problem)
  return store
}

/** A warning for each secret file (TLS_KEY, the token and password files) others may read. */
async function warnExposedSecrets (config: Config, log: FastifyBaseLogger): Promise<void> {
  for (const { variable, file, mode } of await exposedSecretFiles(config)) {
    log.warn({ event: 'secret_file_exposed', variable }, `${variable} names ${file}, which others can read or write (mode ${mode.toString(8)}; use 600)`)
  }
}

interface Shared {
  readonly now: () => number
  /** A test's clock, which the Redis session store uses instead of Redis's TIME; undefined in production. */
  readonly testClock: (() => number) | undefined
  readonly instanceId: string
  readonly log: FastifyBaseLogger
}

/** The session store: in Redis when there is one, else in this process. */
function sessionStore (config: Config, redis: RedisConnection | undefined, shared: Shared): SessionStore {
  const timeouts = { idleTimeoutMs: config.sessionIdleTimeoutMs, absoluteTimeoutMs: config.sessionAbsoluteTimeoutMs }
  return redis === undefined
    ? new MemorySessionStore(timeouts, { now: shared.now, sweepIntervalMs: config.sessionSweepIntervalMs })
    : new RedisSessionStore(redis, timeouts, { instanceId: shared.instanceId, log: shared.log, sweepIntervalMs: config.sessionSweepIntervalMs, testClock: shared.testClock })
}

/** The per-user socket slots: leased in Redis when there is one, else counted in this process. */
function userSlots (config: Config, redis: RedisConnection | undefined, shared: Shared): UserSlots {
  return redis === undefined
    ? new MemoryUserSlots()
    : new RedisUserSlots(redis, { leaseMs: config.connectionLeaseMs, instanceId: shared.instanceId, log: shared.log })
}

/** Closes what the services hold open (timers, watchers, the hashing process, Redis). */
export async function closeServices (services: Services): Promise<void> {
  await services.sessions.close()
  await services.userSlots.close()
  await services.users.close()
  await services.hasher.close()
  await services.redis?.close()
}
