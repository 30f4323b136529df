// The test harness: builds the real app with a temporary users file (real argon2 hashes),
// a certificate from the tests' CA, a controllable clock and captured logs, and listens on
// 127.0.0.1 port 0 over TLS. Teardown is registered on the tap test.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppOptions } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config/config.js'
import { PasswordHasher } from '../../src/accounts/password-hasher.js'
import { HashingProcess } from '../../src/accounts/hashing-process.js'
import type { TlsCredentials } from '../../src/config/tls-credentials.js'
import { FileUsersStore } from '../../src/accounts/file-users-store.js'
import type { UsersStore } from '../../src/accounts/users-store.js'
import { MemorySessionStore } from '../../src/stores/sessions/memory-session-store.js'
import type { Session, SessionStore } from '../../src/stores/sessions/session-store.js'
import { credentialTag } from '../../src/accounts/users-store.js'
import { postLogin, sessionIdOf } from './http.js'
import { TEST_CA, testCa } from './test-ca.js'

/** The account every test server has. */
export const TEST_USER = Object.freeze({ username: 'alice', password: 'correct horse battery staple' })

/** Minimal view of a tap test used here (avoids depending on tap's types). */
export interface Teardown { teardown (fn: () => unknown): void }

/** A clock tests move by hand. */
export class TestClock {
  now = Date.UTC(2026, 10, 22, 12, 0, 0)
  readonly read = (): number => this.now
  advance (ms: number): void { this.now += ms }
}

/** Collects pino's JSON lines. */
export class LogCapture extends Writable {
  readonly lines: string[] = []
  override _write (chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') this.lines.push(line)
    done()
  }

  get text (): string { return this.lines.join('\n') }
  entries (): Array<Record<string, unknown>> { return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

export interface TestServer {
  app: FastifyInstance
  config: Config
  /** https://127.0.0.1:<port> */
  url: string
  /** The allowed Origin for this server. */
  origin: string
  port: number
  clock: TestClock
  logs: LogCapture
  sessions: SessionStore
  users: UsersStore
  usersFile: string
  /** The tests' CA certificate (PEM), which signed the server's: to trust it in clients (`ca`). */
  ca: string
  /**
   * One HTTP request to `route`: over HTTPS with fetch() when the server listens, else through
   * Fastify's inject() (no socket, no TLS); the answer is a fetch Response either way. Redirects
   * are never followed.
   */
  request (route: string, init?: TestRequest): Promise<Response>
  /** Logs in (POST /login); returns the raw session id (cookie value). */
  login (username?: string, password?: string): Promise<string>
  /**
   * Runs the session store's sweep now, on the test clock (the store's own timer is off in tests):
   * expired sessions end, and their sockets close, at a moment the test chooses.
   */
  sweepSessions (this: TestServer): Promise<void>
}

/**
 * The certificate every test server (and nginx) serves: signed for localhost and 127.0.0.1 by the
 * tests' CA (test-ca.ts), which this process trusts, so clients verify it as they would in production.
 */
export async function testCredentials (): Promise<TlsCredentials> {
  const { cert, key } = testCa()
  return { cert, key, development: false, certFile: TEST_CA.certFile }
}

const hashes = new Map<string, Promise<string>>()
/** argon2id hash at the OWASP minimum, memoised per password within one test process. */
export function hashFor (password: string): Promise<string> {
  let hash = hashes.get(password)
  if (hash === undefined) {
    hash = new PasswordHasher({ memoryKiB: 19456, timeCost: 2, parallelism: 1 }).hash(password)
    hashes.set(password, hash)
  }
  return hash
}

/** The longest check of the shared hashing process (ms): the default HASH_CHECK_TIMEOUT_MS. */
const SHARED_MAX_CHECK_MS = 10_000
let sharedHashing: HashingProcess | undefined
/**
 * One argon2 child process for every test server of this test process whose test is not about
 * hashing: the apps do not close it; it ends when the test process has nothing else left to do.
 */
function sharedHashingProcess (): HashingProcess {
  if (sharedHashing === undefined) {
    const hashing = new HashingProcess({ maxCheckMs: SHARED_MAX_CHECK_MS })
    process.once('beforeExit', () => { void hashing.close() })
    sharedHashing = hashing
  }
  return sharedHashing
}

/**
 * The shared hashing process for `config`, unless the test needs its own: it asked for one, set
 * the process's limits, or a check timeout other than the shared process's.
 */
function hashingFor (config: Config, options: TestServerOptions): AppOptions {
  const own = options.ownHashingProcess === true || options.hashing !== undefined ||
    config.accounts.hashCheckTimeoutMs !== SHARED_MAX_CHECK_MS
  return own ? {} : { sharedHashingProcess: sharedHashingProcess() }
}

/** What TestServer.request() sends: a method (default GET), headers and a body. */
export interface TestRequest {
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

/**
 * The port an app that does not listen (`listen: false`) takes its default allowed origin from;
 * nothing listens there, so a test that reaches for the network by mistake fails at once.
 */
const INJECT_PORT = 1

/** What startTestServer takes besides the app's own options. */
export interface TestServerOptions extends AppOptions {
  /**
   * False: the app is built and made ready but does not listen (no TLS listener): for what is only
   * HTTP, through `request()` (Fastify's inject). Its `url` and `port` name a port nothing listens on.
   * Default true.
   */
  readonly listen?: boolean
  /**
   * An argon2 child process of the app's own, which the app starts, logs and closes (tests of the
   * hashing process, its faults and login timing); default: the test process's shared one.
   */
  readonly ownHashingProcess?: boolean
  /** The clock to share with other test servers (instances of one deployment). */
  readonly clock?: TestClock
  /** A users file to share with other test servers (default: a new one holding TEST_USER). */
  readonly usersFile?: string
}

/**
 * Starts the real app on 127.0.0.1:0 over TLS. With REDIS_URL in `env` the app uses its Redis
 * stores; otherwise an in-memory session store on the test clock, swept when the test says so.
 * @param env extra environment variables for loadConfig (strings, as in the real environment)
 */
export async function startTestServer (
  t: Teardown,
  env: Record<string, string> = {},
  options: TestServerOptions = {}
): Promise<TestServer> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hero-socket-test-'))
  const usersFile = options.usersFile ?? path.join(dir, 'users.json')
  if (options.usersFile === undefined) {
    await FileUsersStore.create(
      usersFile,
      [{ username: TEST_USER.username, hash: await hashFor(TEST_USER.password) }]
    )
  }
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dir,
    USERS_FILE: usersFile,
    CERTS_DIR: dir,
    LOG_LEVEL: 'info',
    ...env
  })
  const { clock = new TestClock(), usersFile: _shared, ownHashingProcess: _own, listen = true, ...appOptions } = options
  const logs = new LogCapture()
  const memory = options.sessions === undefined && config.redis === undefined
    ? memorySessionStore(config, clock)
    : undefined
  const users = await FileUsersStore.open(usersFile, { watch: true, watchIntervalMs: 50 })
  const tls = await testCredentials()
  const app = await buildApp(config, {
    logStream: logs,
    now: clock.read,
    users,
    tls,
    ...hashingFor(config, options),
    ...(memory === undefined ? {} : { sessions: memory }),
    ...appOptions
  })
  const sessions = app.services.sessions
  const port = listen ? await listenOnAnyPort(app) : await readyWithoutListening(app, config)
  const url = `https://127.0.0.1:${port}`
  t.teardown(async () => {
    await app.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  const server: TestServer = {
    app,
    config,
    url,
    origin: url,
    port,
    clock,
    logs,
    sessions,
    users,
    usersFile,
    ca: testCa().ca,
    async sweepSessions (this: TestServer) {
      await this.sessions.sweep()
    },
    async request (route: string, init: TestRequest = {}) {
      return listen ? await fetch(url + route, { ...init, redirect: 'manual' }) : await injected(app, route, init)
    },
    async login (username = TEST_USER.username, password = TEST_USER.password) {
      const res = await postLogin(this, username, password)
      const sid = sessionIdOf(res)
      if (res.status !== 303 || sid === undefined) throw new Error(`login failed: ${res.status}`)
      return sid
    }
  }
  return server
}

/** Listens on 127.0.0.1, port 0; resolves the port. */
async function listenOnAnyPort (app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as AddressInfo).port
}

/** Makes the app ready without a listener, its default origins those of INJECT_PORT. */
async function readyWithoutListening (app: FastifyInstance, config: Config): Promise<number> {
  await app.ready()
  app.services.allowedOrigins.resolve(config, INJECT_PORT)
  return INJECT_PORT
}

/** A request through Fastify's inject(), answered as a fetch Response. */
async function injected (app: FastifyInstance, route: string, init: TestRequest): Promise<Response> {
  const res = await app.inject({
    method: (init.method ?? 'GET') as 'GET',
    url: route,
    headers: { ...init.headers },
    ...(init.body === undefined ? {} : { payload: init.body })
  })
  const headers = new Headers()
  for (const [name, value] of Object.entries(res.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined) headers.append(name, String(one))
  }
  const empty = res.statusCode === 204 || res.statusCode === 304 || init.method === 'HEAD'
  return new Response(empty ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers })
}

/**
 * Restarts `server` in place: closes its app (open sockets get 1001) and builds a new one from
 * the same configuration, users file, clock and logs, listening on the SAME port, as a process
 * restart would. The session store is kept (a shared store survives restarts) unless
 * `options.sessions` passes a fresh one (the in-memory store of a real restart is lost).
 * Resolves once the new app listens; its teardown is registered on `t`.
 */
export async function restartTestServer (
  t: Teardown,
  server: TestServer,
  options: RestartOptions = {}
): Promise<TestServer> {
  await server.app.close()
  if (options.beforeListen !== undefined) await options.beforeListen()
  // A shared store (Redis) is opened anew, as by a new process; the memory store is kept unless replaced.
  const kept = options.sessions ?? (server.config.redis === undefined ? server.sessions : undefined)
  const users = await FileUsersStore.open(server.usersFile, { watch: true, watchIntervalMs: 50 })
  const app = await buildApp(server.config, {
    logStream: server.logs,
    now: server.clock.read,
    users,
    tls: await testCredentials(),
    ...hashingFor(
      server.config,
      {}
    ),
    ...(kept === undefined ? {} : { sessions: kept })
  })
  t.teardown(() => app.close())
  await listenAgain(app, server.port, options.onPortTaken)
  return { ...server, app, sessions: app.services.sessions, users }
}

/** What restartTestServer takes. */
export interface RestartOptions {
  /** A new session store (the in-memory store of a real restart is lost); default: the same one. */
  readonly sessions?: SessionStore
  /** Runs after the old app closed, before the new one listens. */
  readonly beforeListen?: () => Promise<void>
  /** Told each time the port was found taken, before the next try (tests free it here). */
  readonly onPortTaken?: () => void
}

/** Tries to listen on a port someone else holds, at most this many times (a restart must keep its port). */
const RELISTEN_ATTEMPTS = 50
/** Wait between those tries (ms). */
const RELISTEN_WAIT_MS = 100

/**
 * Listens on the port the app had before its restart. The port was free a moment ago but anyone
 * may have taken it since (an outgoing connection's local port): on EADDRINUSE it tries again,
 * a bounded number of times (about 5 s in all), since a new port would not be a restart.
 */
async function listenAgain (app: FastifyInstance, port: number, onPortTaken: (() => void) | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await app.listen({ host: '127.0.0.1', port })
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= RELISTEN_ATTEMPTS) throw err
      onPortTaken?.()
      await new Promise((resolve) => setTimeout(resolve, RELISTEN_WAIT_MS))
    }
  }
}

/** A session started in the server's store for `username`'s account, as a login would start it. */
export async function openSession (
  server: Pick<TestServer, 'sessions' | 'users'>,
  username: string = TEST_USER.username
): Promise<{ id: string, session: Session }> {
  const user = await server.users.get(username)
  if (user === undefined) throw new Error(`no user ${username}`)
  return await server.sessions.create(username, credentialTag(user))
}

/** A fresh in-memory session store with the timeouts and clock of `server`. */
export function freshSessionStore (server: TestServer): SessionStore {
  return memorySessionStore(server.config, server.clock)
}

/** The in-memory store with the configured timeouts on the test's clock, swept only when asked. */
function memorySessionStore (config: Config, clock: TestClock): MemorySessionStore {
  return new MemorySessionStore(
    { idleTimeoutMs: config.session.idleTimeoutMs, absoluteTimeoutMs: config.session.absoluteTimeoutMs },
    { now: clock.read, sweepIntervalMs: 0 }
  )
}
