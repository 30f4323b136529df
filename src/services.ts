// The services the app is built from: configuration, TLS credentials, pages, the users and
// session stores, the password hasher (argon2 in its own process) and the Origin allow-list.
// Built before Fastify, each from the configuration unless a test passes its own.
import type { FastifyBaseLogger } from 'fastify'
import { HashingProcess, type HashingProcessOptions } from './accounts/hashing-process.js'
import { FileUsersStore } from './accounts/file-users-store.js'
import { PasswordHasher } from './accounts/password-hasher.js'
import type { UsersStore } from './accounts/users-store.js'
import type { Config } from './config/config.js'
import { loadTlsCredentials, type TlsCredentials } from './config/tls-credentials.js'
import { AllowedOrigins } from './http/allowed-origins.js'
import { loadPages, type Pages } from './http/pages.js'
import { MemorySessionStore } from './sessions/memory-session-store.js'
import type { SessionStore } from './sessions/session-store.js'

/** Everything a test may swap; production uses the defaults. */
export interface ServiceOverrides {
  /** Clock in epoch milliseconds for sessions and socket limits (default Date.now). */
  readonly now?: () => number
  readonly sessions?: SessionStore
  readonly users?: UsersStore
  readonly tls?: TlsCredentials
  /** Concurrency and queue bound of the password hashing process (defaults: see HashingProcess). */
  readonly hashing?: Pick<HashingProcessOptions, 'concurrency' | 'maxQueued'>
}

export interface Services {
  readonly config: Config
  /** undefined with TLS=off. */
  readonly tls: TlsCredentials | undefined
  readonly pages: Pages
  readonly users: UsersStore
  readonly sessions: SessionStore
  readonly hasher: PasswordHasher
  readonly allowedOrigins: AllowedOrigins
  readonly now: () => number
}

/** Builds the services; the hashing process is started and its dummy hash ready. */
export async function createServices (config: Config, log: FastifyBaseLogger, overrides: ServiceOverrides = {}): Promise<Services> {
  const now = overrides.now ?? Date.now
  const tls = config.tls ? (overrides.tls ?? await loadTlsCredentials(config)) : undefined
  const users = overrides.users ?? await FileUsersStore.open(config.usersFile, { watch: true })
  const sessions = overrides.sessions ?? new MemorySessionStore(
    { idleTimeoutMs: config.sessionIdleTimeoutMs, absoluteTimeoutMs: config.sessionAbsoluteTimeoutMs },
    { now, sweepIntervalMs: config.sessionSweepIntervalMs }
  )
  // argon2 runs in a child process at a lower CPU priority, one check per CPU at a time: a burst
  // of logins (about 45 ms of CPU each) then waits for the CPU instead of delaying every reply.
  const hasher = new PasswordHasher(config.argon2, {
    hashingProcess: new HashingProcess({
      ...overrides.hashing,
      onUnexpectedExit: (how) => log.error({ event: 'hashing_process_exited', how }, 'password hashing process exited; starting a new one')
    })
  })
  await hasher.warmUp()
  return { config, tls, pages: await loadPages(), users, sessions, hasher, allowedOrigins: new AllowedOrigins(), now }
}

/** Closes what the services hold open (timers, watchers, the hashing process). */
export async function closeServices (services: Services): Promise<void> {
  await services.sessions.close()
  await services.users.close()
  await services.hasher.close()
}
