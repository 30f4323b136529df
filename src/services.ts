// The services the app is built from: configuration, the files start-up reads (TLS credentials,
// the metrics token, the store's credentials: read once, by readStartupFiles), pages, the users
// store, the stores (sessions, per-user socket slots, rate-limit counters: in this process, or in
// Redis when REDIS_URL is set, chosen once in stores/open-stores.ts), the password hasher (argon2
// in its own process) and the Origin allow-list. Built before Fastify, each from the
// configuration unless a test passes its own.
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { HashingProcess, type HashingProcessOptions } from './accounts/hashing-process.js'
import { FileUsersStore } from './accounts/file-users-store.js'
import { PasswordHasher } from './accounts/password-hasher.js'
import type { UsersStore } from './accounts/users-store.js'
import type { Config } from './config/config.js'
import { exposedSecretFiles } from './config/secret-files.js'
import { loadTlsCredentials, type TlsCredentials } from './config/tls-credentials.js'
import { AllowedOrigins } from './edge/allowed-origins.js'
import { AppMetrics } from './operations/metrics.js'
import { readMetricsToken, type MetricsToken } from './operations/operators-listener.js'
import { Readiness } from './operations/readiness.js'
import { TrustedProxies } from './edge/client-address.js'
import { loadPages, type Pages } from './http/pages.js'
import { monotonicNow } from './monotonic-clock.js'
import { openStores, readStoreSecrets, type StoreSecrets } from './stores/open-stores.js'
import type { SessionStore } from './stores/sessions/session-store.js'
import type { StoreObserver, Stores } from './stores/stores.js'
import type { UserSlots } from './stores/user-slots/user-slots.js'

/** The secret files start-up reads, which write nothing: read first, so a refusal leaves no trace. */
export interface SecretFiles {
  /** What /metrics asks for, with METRICS_TOKEN_FILE. */
  readonly metricsToken: MetricsToken | undefined
  /** The store's credentials (REDIS_PASSWORD_FILE, REDIS_CA_FILE). */
  readonly storeSecrets: StoreSecrets
}

/** The certificates start-up loads (on a first start without TLS_CERT, the development one is written). */
export interface Certificates {
  /** undefined with TLS=off. */
  readonly tls: TlsCredentials | undefined
  /** The operators' listener's certificate (TLS_CERT, TLS_KEY) with METRICS_TLS=on; undefined: plain HTTP. */
  readonly operatorsTls: TlsCredentials | undefined
}

/** Every file start-up reads, read once: by server.ts, or by createServices when a test did not. */
export interface StartupFiles extends SecretFiles, Certificates {}

/**
 * Reads the secret files.
 * @throws ConfigError naming the variable whose file is missing, unreadable or empty
 */
export async function readSecretFiles (config: Config): Promise<SecretFiles> {
  return { metricsToken: await readMetricsToken(config.metrics), storeSecrets: await readStoreSecrets(config) }
}

/**
 * Loads the certificates: the public listener's with TLS=on (`tls` when a test brings its own),
 * and the same for the operators' listener with METRICS_TLS=on, read once even when both use it.
 * @throws ConfigError naming the variable whose file cannot be read
 */
export async function loadCertificates (config: Config, tls?: TlsCredentials): Promise<Certificates> {
  const publicTls = config.tls.enabled ? (tls ?? await loadTlsCredentials(config)) : undefined
  const operatorsTls = config.metrics?.tls === true ? (publicTls ?? await loadTlsCredentials(config)) : undefined
  return { tls: publicTls, operatorsTls }
}

/** Everything a test may swap; production uses the defaults. */
export interface ServiceOverrides {
  /**
   * A test's clock in milliseconds for every limit and in-process expiry (default the monotonic
   * clock, monotonic-clock.ts), which the shared stores also use in place of their own (Redis's
   * TIME; without it, only Redis's TIME).
   */
  readonly now?: () => number
  readonly sessions?: SessionStore
  readonly users?: UsersStore
  /** What start-up read (server.ts); without it, the files are read here. */
  readonly files?: StartupFiles
  /** The public listener's certificate, when a test brings its own (and no `files`). */
  readonly tls?: TlsCredentials
  /** Concurrency and queue bound of the password hashing process (defaults: see HashingProcess). */
  readonly hashing?: Pick<HashingProcessOptions, 'concurrency' | 'maxQueued'>
  /** A hashing process shared with other apps (tests, where hashing is not under test); the app does not close it. */
  readonly sharedHashingProcess?: HashingProcess
}

export interface Services extends Certificates, Pick<SecretFiles, 'metricsToken'> {
  readonly config: Config
  /** This process among the instances sharing a store (leases, and the origin of published ends). */
  readonly instanceId: string
  /** The stores, chosen once (stores/open-stores.ts): health, reconnects, rate-limit counters, close. */
  readonly stores: Stores
  readonly pages: Pages
  readonly users: UsersStore
  /** The stores' sessions (stores.sessions). */
  readonly sessions: SessionStore
  /** The stores' per-user socket slots (stores.userSlots). */
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
 * Builds the services; the hashing process is started and its dummy hash ready. The store is not
 * waited for. What can fail on a bad file or build (the start-up files, pages, the hashing
 * worker) is read before anything is opened; a failure after that closes what was started.
 */
export async function createServices (
  config: Config,
  log: FastifyBaseLogger,
  overrides: ServiceOverrides = {}
): Promise<Services> {
  const now = overrides.now ?? monotonicNow
  const instanceId = randomUUID()
  const files = overrides.files ??
    { ...await readSecretFiles(config), ...await loadCertificates(config, overrides.tls) }
  const pages = await loadPages()
  // argon2 runs in a child process at a lower CPU priority, one check per CPU at a time: a burst
  // of logins (about 30 ms of CPU each) then waits for the CPU instead of delaying every reply.
  // The child starts at warmUp(); the constructor only checks that the worker is built.
  const hasher = new PasswordHasher(config.argon2, {
    closesProcess: overrides.sharedHashingProcess === undefined,
    hashingProcess: overrides.sharedHashingProcess ?? new HashingProcess({
      ...overrides.hashing,
      maxCheckMs: config.accounts.hashCheckTimeoutMs,
      onUnexpectedExit: (how) => log.error(
        { event: 'hashing_process_exited', how },
        'password hashing process exited; starting a new one'
      )
    })
  })
  const users = overrides.users ?? await openUsersFile(config, log)
  await warnExposedSecrets(config, log)
  const metrics = new AppMetrics()
  const stores = openStores(config, files.storeSecrets, {
    now, testClock: overrides.now, instanceId, log, observer: storeObserver(metrics), sessions: overrides.sessions
  })
  const services: Services = {
    config,
    instanceId,
    tls: files.tls,
    operatorsTls: files.operatorsTls,
    metricsToken: files.metricsToken,
    stores,
    pages,
    users,
    sessions: stores.sessions,
    userSlots: stores.userSlots,
    hasher,
    allowedOrigins: new AllowedOrigins(),
    trustedProxies: new TrustedProxies(config.http.trustedProxies),
    metrics,
    readiness: new Readiness(hasher.hashingProcess, stores.health, now),
    now
  }
  try {
    await hasher.warmUp()
  } catch (err) {
    await closeServices(services)
    throw err
  }
  return services
}

/** What the stores tell the metrics: each call's duration and failure, and each reconnect. */
function storeObserver (metrics: AppMetrics): StoreObserver {
  return {
    call (operation, seconds, ok) {
      metrics.storeDuration.observe({ operation }, seconds)
      if (!ok) metrics.storeErrors.inc({ operation })
    },
    reconnected (client) {
      metrics.storeReconnects.inc({ client })
    }
  }
}

/** The users file, watched; a warning for each way others could read or change it. */
async function openUsersFile (config: Pick<Config, 'accounts'>, log: FastifyBaseLogger): Promise<FileUsersStore> {
  const store = await FileUsersStore.open(config.accounts.usersFile, { watch: true })
  for (const problem of await store.permissionProblems()) log.warn({ event: 'users_file_exposed' }, problem)
  return store
}

/** A warning for each secret file (TLS_KEY, the token and password files) others may read. */
async function warnExposedSecrets (
  config: Pick<Config, 'tls' | 'metrics' | 'redis'>,
  log: FastifyBaseLogger
): Promise<void> {
  for (const { variable, file, mode } of await exposedSecretFiles(config)) {
    log.warn(
      { event: 'secret_file_exposed', variable },
      `${variable} names ${file}, which others can read or write (mode ${mode.toString(8)}; use 600)`
    )
  }
}

/** Closes what the services hold open (the stores' timers and connection, watchers, the hashing process). */
export async function closeServices (services: Services): Promise<void> {
  await services.stores.close()
  await services.users.close()
  await services.hasher.close()
}
