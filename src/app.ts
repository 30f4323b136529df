// buildApp(config) builds the whole HTTPS application without starting a process: security
// headers, rate limits, static assets, the login/logout/page routes and the WebSocket side
// (websocket-service.ts, whose upgrade gate is ws-gate.ts). Tests build it and listen on
// port 0; src/server.ts runs it.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifyFormbody from '@fastify/formbody'
import fastifyHelmet from '@fastify/helmet'
import fastifyRateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import type { DestinationStream } from 'pino'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Config } from './config.js'
import { AllowedOrigins } from './allowed-origins.js'
import { HTTP_ERRORS, LOGIN_NOTICES, type HttpErrorCode } from './errors.js'
import { HashingBusyError, HashingProcess, type HashingProcessOptions } from './hashing-process.js'
import { loggerOptions } from './logger.js'
import { loadPages, PUBLIC_DIR, type Pages } from './pages.js'
import { MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH, PasswordHasher, USERNAME_PATTERN } from './password-hasher.js'
import { SESSION_COOKIE, SESSION_COOKIE_OPTIONS, sessionIdFromCookieHeader } from './session-cookie.js'
import { MemorySessionStore, type Session, type SessionStore } from './session-store.js'
import { loadTlsCredentials, type TlsCredentials } from './tls-credentials.js'
import { FileUsersStore, type UsersStore } from './users-store.js'
import { attachWebSocketService } from './websocket-service.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    sessions: SessionStore
    users: UsersStore
    hasher: PasswordHasher
    allowedOrigins: AllowedOrigins
  }
}

/** Everything a test may swap; production uses the defaults. */
export interface AppOptions {
  /** Where pino writes (default stdout). */
  logStream?: DestinationStream
  /** Clock in epoch milliseconds for sessions and socket limits (default Date.now). */
  now?: () => number
  sessions?: SessionStore
  users?: UsersStore
  tls?: TlsCredentials
  /** Concurrency and queue bound of the password hashing process (defaults: see HashingProcess). */
  hashing?: Pick<HashingProcessOptions, 'concurrency' | 'maxQueued'>
}

/** Seconds a login refused with login_busy is told to wait (Retry-After). */
const LOGIN_BUSY_RETRY_AFTER_S = 2

/** Largest login form body accepted, in bytes. */
const LOGIN_BODY_LIMIT = 4096

const loginBodySchema = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: MAX_USERNAME_LENGTH },
    password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH }
  }
} as const

interface LoginBody { username: string, password: string }

/** Builds the application; call `listen` on the result. */
export async function buildApp (config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const tls = config.tls ? (options.tls ?? await loadTlsCredentials(config)) : undefined
  const pages = await loadPages()
  const users = options.users ?? await FileUsersStore.open(config.usersFile, { watch: true })
  const sessions = options.sessions ?? new MemorySessionStore(
    { idleTimeoutMs: config.sessionIdleTimeoutMs, absoluteTimeoutMs: config.sessionAbsoluteTimeoutMs },
    { now: options.now, sweepIntervalMs: config.sessionSweepIntervalMs }
  )
  // argon2 runs in a child process at a lower CPU priority, one check per CPU at a time: a burst
  // of logins (about 45 ms of CPU each) then waits for the CPU instead of delaying every reply.
  let log: FastifyBaseLogger | undefined
  const hasher = new PasswordHasher(config.argon2, {
    hashingProcess: new HashingProcess({
      ...options.hashing,
      onUnexpectedExit: (how) => log?.error({ event: 'hashing_process_exited', how }, 'password hashing process exited; starting a new one')
    })
  })
  await hasher.warmUp()

  const logger = { ...loggerOptions(config.logLevel), ...(options.logStream ? { stream: options.logStream } : {}) }
  const app = Fastify({
    // A TLS handshake must finish within 10 s (Node's default is 120 s): idle half-open sockets
    // cannot pile up.
    ...(tls ? { https: { key: tls.key, cert: tls.cert, handshakeTimeout: 10_000 } } : {}),
    logger,
    // Trust exactly TRUST_PROXY_HOPS proxies, counted from our side (proxy-addr's hop index).
    trustProxy: (_address: string, hop: number) => hop < config.trustProxyHops,
    bodyLimit: 16 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 30_000
  }) as unknown as FastifyInstance
  log = app.log

  const allowedOrigins = new AllowedOrigins()
  app.decorate('config', config)
  app.decorate('sessions', sessions)
  app.decorate('users', users)
  app.decorate('hasher', hasher)
  app.decorate('allowedOrigins', allowedOrigins)

  app.server.once('listening', () => {
    allowedOrigins.resolve(config, (app.server.address() as AddressInfo).port)
  })
  // Removing a user or changing their password ends their sessions (and so their sockets).
  const unsubscribeRemoved = users.onRemoved((username) => {
    void sessions.destroyUser(username, 'user_removed')
  })
  const unsubscribeChanged = users.onPasswordChanged((username) => {
    void sessions.destroyUser(username, 'password_changed')
  })
  users.onReloadError((err) => app.log.error({ err }, 'users file could not be reloaded; keeping the previous users'))
  app.addHook('onClose', async () => {
    unsubscribeRemoved()
    unsubscribeChanged()
    await sessions.close()
    await users.close()
    await hasher.close()
  })

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", () => allowedOrigins.list().map((o) => o.replace(/^http/, 'ws')).join(' ')],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"]
      }
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    // Not no-referrer: under it Chromium sends `Origin: null` on our own form posts (login, logout).
    referrerPolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' }
  })
  await app.register(fastifyCookie)
  await app.register(fastifyFormbody)
  await app.register(fastifyRateLimit, {
    global: true,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'rate_limited',
      message: HTTP_ERRORS.rate_limited.message,
      retryAfterS: Math.max(1, Math.ceil(context.ttl / 1000))
    })
  })
  await app.register(fastifyStatic, {
    root: path.join(PUBLIC_DIR, 'assets'),
    prefix: '/assets/',
    index: false,
    list: false,
    dotfiles: 'deny',
    // Revalidate every time (ETag): a deploy must never leave a browser running an old client.
    maxAge: 0
  })

  app.setErrorHandler((error: Error & { statusCode?: number, code?: string, validation?: unknown, retryAfterS?: number }, request, reply) => {
    const status = error.statusCode ?? 500
    let code: HttpErrorCode
    if (error instanceof HashingBusyError) code = 'login_busy'
    else if (status === 429) code = 'rate_limited'
    else if (request.url.startsWith('/login') && (error.validation !== undefined || status === 413 || status === 415 || status === 400)) code = 'login_form_invalid'
    else if (status >= 400 && status < 500) code = status === 404 ? 'not_found' : 'login_form_invalid'
    else code = 'internal_error'
    if (code === 'internal_error') request.log.error({ err: error }, 'request failed')
    else if (code === 'login_busy') request.log.warn({ event: 'request_refused', code, ip: request.ip }, 'login refused: too many password checks waiting')
    else request.log.info({ event: 'request_refused', code, status }, 'request refused')
    if (code === 'login_busy') reply.header('retry-after', LOGIN_BUSY_RETRY_AFTER_S)
    const message = code === 'rate_limited' && error.retryAfterS !== undefined
      ? `${HTTP_ERRORS.rate_limited.message} (Try again in ${error.retryAfterS} s.)`
      : HTTP_ERRORS[code].message
    return sendError(request, reply, pages, status === 429 || status === 413 || status === 415 ? status : HTTP_ERRORS[code].status, code, message)
  })
  // Unknown paths count against the global limit too, so probing for routes is slowed down.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) => sendError(request, reply, pages, 404, 'not_found', HTTP_ERRORS.not_found.message))

  /** Refuses a state-changing request that does not come from one of our own pages. */
  async function requireSameOrigin (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const site = request.headers['sec-fetch-site']
    const origin = request.headers.origin
    if ((site !== undefined && site !== 'same-origin') || !allowedOrigins.has(origin)) {
      request.log.warn({ event: 'cross_site_refused', ip: request.ip, site }, 'cross-site request refused')
      await sendError(request, reply, pages, 403, 'cross_site_request', HTTP_ERRORS.cross_site_request.message)
    }
  }

  /** The live session named by the request's single session cookie. */
  async function sessionOf (request: FastifyRequest): Promise<{ id: string, session: Session } | undefined> {
    const id = sessionIdFromCookieHeader(request.headers.cookie)
    const session = id === undefined ? undefined : await sessions.get(id)
    return id !== undefined && session !== undefined ? { id, session } : undefined
  }

  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/login', async (request, reply) => {
    const code = (request.query as Record<string, unknown>).notice
    const text = typeof code === 'string' ? LOGIN_NOTICES.get(code) : undefined
    return sendPage(reply, 200, pages.login(text === undefined ? undefined : { text, kind: 'info' }))
  })

  // Per username and IP together: guessing one user's password is slowed down, while an
  // attacker elsewhere cannot lock the real user out. createRateLimit, not rateLimit(): the
  // plugin runs one rateLimit hook per request, so a second one after the per-IP limit is skipped.
  const loginUserLimit = app.createRateLimit({
    max: config.loginRateLimit.userMax,
    timeWindow: config.loginRateLimit.windowMs,
    keyGenerator: (request) => `login:${request.ip}:${(request.body as LoginBody).username.toLowerCase()}`
  })

  app.post<{ Body: LoginBody }>('/login', {
    schema: { body: loginBodySchema },
    bodyLimit: LOGIN_BODY_LIMIT,
    config: { rateLimit: { max: config.loginRateLimit.ipMax, timeWindow: config.loginRateLimit.windowMs } },
    onRequest: requireSameOrigin,
    preHandler: async (request, reply) => {
      const limit = await loginUserLimit(request)
      if (limit.isAllowed || !limit.isExceeded) return
      const retryAfterS = Math.max(1, limit.ttlInSeconds)
      reply.header('retry-after', retryAfterS)
      throw Object.assign(new Error(HTTP_ERRORS.rate_limited.message), { statusCode: 429, retryAfterS })
    }
  }, async (request, reply) => {
    const { username, password } = request.body
    const validName = USERNAME_PATTERN.test(username)
    const user = validName ? await users.get(username) : undefined
    const ok = await hasher.verify(user?.hash, password)
    const logName = validName ? username : '(not a valid username)'
    if (!ok) {
      request.log.info({ event: 'login_failed', username: logName, ip: request.ip }, 'login failed')
      return sendPage(reply, HTTP_ERRORS.login_failed.status, pages.login({ text: HTTP_ERRORS.login_failed.message, kind: 'error' }))
    }
    // A new id at every login: a session id planted before login is never promoted.
    const previous = sessionIdFromCookieHeader(request.headers.cookie)
    if (previous !== undefined) await sessions.destroy(previous, 'replaced')
    const { id, session } = await sessions.create(username)
    request.log.info({ event: 'login_succeeded', username, ip: request.ip, session: session.key.slice(0, 12) }, 'login succeeded')
    return reply.setCookie(SESSION_COOKIE, id, SESSION_COOKIE_OPTIONS).header('cache-control', 'no-store').redirect('/', 303)
  })

  app.post('/logout', { onRequest: requireSameOrigin, bodyLimit: 1024 }, async (request, reply) => {
    const current = await sessionOf(request)
    if (current !== undefined) {
      await sessions.destroy(current.id, 'logout')
      request.log.info({ event: 'logout', username: current.session.username, ip: request.ip }, 'logged out')
    }
    return reply.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS).header('cache-control', 'no-store').redirect('/login?notice=logged_out', 303)
  })

  app.get('/', async (request, reply) => {
    const current = await sessionOf(request)
    if (current === undefined) {
      const hadCookie = request.headers.cookie?.includes(SESSION_COOKIE + '=') === true
      if (hadCookie) reply.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS)
      return reply.header('cache-control', 'no-store').redirect(hadCookie ? '/login?notice=session_ended' : '/login', 303)
    }
    await sessions.touch(current.id)
    return sendPage(reply, 200, pages.heroes)
  })

  attachWebSocketService(app, config, options.now)
  return app
}

function sendPage (reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html)
}

/** An error as the login page (for page routes) or as JSON `{code, message}` (everything else). */
function sendError (request: FastifyRequest, reply: FastifyReply, pages: Pages, status: number, code: HttpErrorCode, message: string): FastifyReply {
  const pageRoute = request.url === '/' || request.url.startsWith('/login') || request.url.startsWith('/logout')
  if (pageRoute) return sendPage(reply, status, pages.login({ text: message, kind: 'error' }))
  return reply.code(status).header('cache-control', 'no-store').send({ code, message })
}
