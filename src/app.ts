// buildApp(config) builds the whole application without starting a process; tests build it and
// listen on port 0, server.ts runs it. It reads as its steps: the logger, the services, Fastify,
// the account-change subscription, the HTTP plugins, the error handlers, the routes in order,
// the WebSocket side (ws/service.ts, whose upgrade gate is ws/gate.ts), and what operators see
// (the metrics' sources, the operators' listener). A failure part-way closes what the services
// had started.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { DestinationStream } from 'pino'
import { endSessionsOnAccountChanges } from './accounts/account-changes.js'
import type { Config } from './config/config.js'
import { answerPlainHttpOnTls } from './edge/plain-http-on-tls.js'
import { answerClientError, answerUnknownExpectations } from './http/client-errors.js'
import { frameworkErrors, registerErrorHandlers } from './http/error-handler.js'
import { httpServerOptions, TLS_HANDSHAKE_TIMEOUT_MS } from './http/http-server.js'
import { registerHttpPlugins } from './http/plugins.js'
import { RequestLogLines } from './http/request-log-lines.js'
import { accountPasswordRoutes } from './http/routes/account-password.js'
import { healthRoutes } from './http/routes/health.js'
import { heroesPageRoutes } from './http/routes/heroes-page.js'
import { loginRoutes } from './http/routes/login.js'
import { logoutRoutes } from './http/routes/logout.js'
import { createLogger } from './logging/logger.js'
import { closeServices, createServices, type ServiceOverrides, type Services } from './services.js'
import { OperatorsListener } from './operations/operators-listener.js'
import { attachWebSocketService, type WebSocketService } from './ws/service.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The services the app was built from (for operators and tests). */
    services: Services
    /** The operators' listener (metrics, health, readiness), when METRICS_PORT is set. */
    operators: OperatorsListener | undefined
  }
}

/** Everything a test may swap; production uses the defaults. */
export interface AppOptions extends ServiceOverrides {
  /** Where pino writes (default stdout). */
  readonly logStream?: DestinationStream
}

/** Largest request body on any route, in bytes (routes may set less). */
const BODY_LIMIT = 16 * 1024

/** Builds the application; call `listen` on the result. */
export async function buildApp (config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const log = createLogger(config.log.level, options.logStream)
  const services = await createServices(config, log, options)
  try {
    return await assemble(services, log)
  } catch (err) {
    await closeServices(services)
    throw err
  }
}

/** Fastify and everything registered on it, in order. */
async function assemble (services: Services, log: FastifyBaseLogger): Promise<FastifyInstance> {
  const app = createFastify(services, log)
  const stopAccountChanges = endSessionsOnAccountChanges(services.users, services.sessions, log)
  app.addHook('onClose', async () => {
    stopAccountChanges()
    await closeServices(services)
  })
  await registerHttpPlugins(app, services)
  registerErrorHandlers(app, services.pages)
  await registerRoutes(app, services)
  const websocket = attachWebSocketService(app, { ...services, storeEvents: services.stores.events })
  attachOperations(app, services, websocket)
  return app
}

/**
 * What the metrics read from the rest of the app (the gauges: open sockets, the hashing queue, the
 * store, readiness, the drain) and the sessions this instance ends; returns the unsubscribe. The
 * counters of handshakes, messages, closes, logins and store calls are counted where they happen.
 */
function instrument (services: Services, websocket: WebSocketService): () => void {
  const { metrics, readiness, stores } = services
  const health = stores.health
  metrics.observe({
    openSockets: () => websocket.connections.size,
    hashingQueueLength: () => services.hasher.hashingProcess?.queueLength ?? 0,
    storeUp: health === undefined ? undefined : () => health.reachable,
    ready: () => readiness.report().ready,
    draining: () => readiness.draining
  })
  // Ends another instance made are counted there: every end is counted once in the cluster.
  return services.sessions.onEnd(({ reason, source }) => {
    if (source === 'local') metrics.sessionsEnded.inc({ cause: reason })
  })
}

/** The metrics' sources, and the operators' listener (started when the app is ready, before it listens). */
function attachOperations (app: FastifyInstance, services: Services, websocket: WebSocketService): void {
  const stopInstrumenting = instrument(services, websocket)
  const { metrics } = services.config
  // METRICS_TLS=on: the public listener's TLS policy and timeouts, with the operator's certificate.
  const tls = services.operatorsTls === undefined
    ? undefined
    : httpServerOptions(services.config, services.operatorsTls).https ?? undefined
  const operators = metrics === undefined
    ? undefined
    : new OperatorsListener(
      metrics, services.metricsToken, services.metrics, services.readiness, app.log, services.trustedProxies, tls
    )
  app.decorate('operators', operators)
  if (operators !== undefined) app.addHook('onReady', async () => { await operators.start() })
  app.addHook('onClose', async () => {
    stopInstrumenting()
    await operators?.close()
  })
}

/** Fastify on our own server (TLS, timeouts), logging through `log`. Who the client is comes from client-address.ts. */
function createFastify (services: Services, log: FastifyBaseLogger): FastifyInstance {
  const { config, allowedOrigins } = services
  const app: FastifyInstance = Fastify({
    ...httpServerOptions(config, services.tls),
    loggerInstance: log,
    // request.ip stays the peer's address; request.client is who the client is (TRUSTED_PROXIES).
    trustProxy: false,
    bodyLimit: BODY_LIMIT,
    // What reaches no hook (a URL the router cannot read, a request Node cannot parse) is still
    // headed, limited and logged once; and each request writes one line (request-log-lines.ts).
    frameworkErrors: frameworkErrors(services.pages, services.trustedProxies),
    clientErrorHandler: answerClientError,
    // Requests that arrive while closing are refused by http/shutdown-refusal.ts, with the headers.
    return503OnClosing: false,
    logController: new RequestLogLines()
  })
  app.decorate('services', services)
  answerUnknownExpectations(app)
  if (services.tls !== undefined) answerPlainHttpOnTls(app.server, log, TLS_HANDSHAKE_TIMEOUT_MS)
  // The default allow-list names our own origin, whose port is known once we listen.
  app.server.once('listening', () => {
    const address = app.server.address()
    if (typeof address === 'object' && address !== null) allowedOrigins.resolve(config, address.port)
  })
  return app
}

/** The routes, in the order they are matched and documented. */
async function registerRoutes (app: FastifyInstance, services: Services): Promise<void> {
  await app.register(healthRoutes, services)
  await app.register(loginRoutes, services)
  await app.register(logoutRoutes, services)
  await app.register(heroesPageRoutes, services)
  await app.register(accountPasswordRoutes, services)
}
