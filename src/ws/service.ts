// Wires the WebSocket side into the app: the ws server (noServer), the upgrade gate, the
// connection registry, the heartbeat, closing a session's sockets when the session ends (heard
// from the store, or found gone by the periodic re-check), what the metrics count, the drain a
// load balancer understands (sockets closed with 1001 in batches spread over a window), and
// the shutdown (503 to new upgrades, 1001 to whatever is still open).
import { setTimeout as sleep } from 'node:timers/promises'
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Config } from '../config/config.js'
import type { ConnectionDrop } from '../errors.js'
import type { AppMetrics } from '../operations/metrics.js'
import type { AllowedOrigins } from '../edge/allowed-origins.js'
import type { TrustedProxies } from '../edge/client-address.js'
import { assertHandlersMatch } from '../protocol/handlers.js'
import { Protocol } from '../protocol/protocol.js'
import { staleAccount } from '../accounts/account-sessions.js'
import type { UsersStore } from '../accounts/users-store.js'
import type { SessionStore } from '../stores/sessions/session-store.js'
import { ConnectionRegistry, type OpenConnection } from './connection-registry.js'
import { HeroConnection, type ConnectionObserver } from './connection.js'
import { Counts } from './counts.js'
import { createUpgradeGate, type AcceptedHandshake, type GateOutcome } from './gate.js'
import { HandshakeLimiter } from './handshake-limiter.js'
import { startHeartbeat } from './heartbeat.js'
import { webSocketServerOptions } from './server-options.js'
import { SessionActivity } from './session-activity.js'
import { startSessionRecheck, type SessionRecheck } from './session-recheck.js'
import type { UserSlots } from '../stores/user-slots/user-slots.js'

declare module 'fastify' {
  interface FastifyInstance {
    websocket: WebSocketService
  }
}

/** What the app exposes of its WebSocket side (for shutdown, tests and operators). */
export interface WebSocketService {
  readonly wss: WebSocketServer
  /** The gate's outcomes: accepted handshakes and each refusal reason. */
  readonly stats: Counts<GateOutcome>
  /** Sockets dropped without a close frame, by reason. */
  readonly drops: Counts<ConnectionDrop>
  readonly connections: ConnectionRegistry
  readonly protocol: Protocol
  /** One heartbeat round now (also runs every HEARTBEAT_INTERVAL_MS). */
  heartbeat (): void
  /** One session re-check now (also runs every SESSION_RECHECK_INTERVAL_MS). */
  recheckSessions (): Promise<void>
  /**
   * Refuses new upgrades (503) and closes every open socket with 1001, in batches spread over
   * `windowMs` so that the clients do not all reconnect elsewhere in the same moment; resolves
   * once they are closed (or `windowMs + graceMs` has passed and the rest are terminated).
   */
  drain (windowMs: number, graceMs: number): Promise<void>
}

export interface WebSocketServiceDependencies {
  readonly config: Pick<Config, 'ws' | 'shutdown'>
  readonly sessions: SessionStore
  readonly users: UsersStore
  readonly userSlots: UserSlots
  readonly allowedOrigins: AllowedOrigins
  readonly trustedProxies: TrustedProxies
  /** Monotonic clock in milliseconds (monotonic-clock.ts), for the limiters and session activity. */
  readonly now: () => number
  /** The shared store's reconnects, when there is one: sessions are re-checked at once after each. */
  readonly storeEvents: { onReconnect (listener: () => void): () => void } | undefined
  readonly metrics: AppMetrics
}

/** The service's moving parts, shared by its steps below. */
interface Parts extends WebSocketServiceDependencies {
  readonly log: FastifyBaseLogger
  readonly protocol: Protocol
  readonly wss: WebSocketServer
  readonly connections: ConnectionRegistry
  readonly activity: SessionActivity
  readonly drops: Counts<ConnectionDrop>
  /** Sockets' openings and closes are logged (LOG_LEVEL info or below). */
  readonly logsSockets: boolean
  readonly observer: ConnectionObserver
}

/** Adds the WebSocket side to `app`; call after the routes, before listen. */
export function attachWebSocketService (app: FastifyInstance, deps: WebSocketServiceDependencies): WebSocketService {
  const parts = serviceParts(app, deps)
  const { protocol } = parts
  const stats = new Counts<GateOutcome>()
  stats.onCount((outcome) => deps.metrics.handshakes.inc({ outcome }))
  parts.drops.onCount((reason) => deps.metrics.drops.inc({ reason }))
  let shuttingDown = false
  const gate = createUpgradeGate({
    ...parts,
    handshakes: new HandshakeLimiter(deps.config.ws.handshakeRate, deps.config.ws.handshakeBurst, deps.now),
    refusals: new HandshakeLimiter(deps.config.ws.refusedHandshakeRate, deps.config.ws.refusedHandshakeBurst, deps.now),
    caps: deps.config.ws,
    stats,
    isShuttingDown: () => shuttingDown,
    onAccepted: (ws, req, handshake) => accept(parts, ws, req, handshake)
  })
  app.server.on('upgrade', gate)
  const unsubscribe = closeSocketsOnSessionEnd(parts)
  const recheck = recheckSessions(parts)
  const heartbeat = startHeartbeat(() => heroes(parts.connections), deps.config.ws.heartbeatIntervalMs)

  app.addHook('preClose', async () => {
    shuttingDown = true
    heartbeat.stop()
    recheck.stop()
    unsubscribe()
    // After a drain nothing is left; otherwise (app.close) every socket is closed at once.
    await closeGradually(parts, 0, Math.floor(deps.config.shutdown.timeoutMs / 2))
    app.log.info({ event: 'ws_shutdown', gate: stats.snapshot(), drops: parts.drops.snapshot() }, 'websocket closed')
  })
  app.addHook('onClose', async () => {
    app.server.off('upgrade', gate)
    parts.wss.close()
  })

  const drain = async (windowMs: number, graceMs: number): Promise<void> => {
    shuttingDown = true
    await closeGradually(parts, windowMs, graceMs)
  }
  const service: WebSocketService = {
    wss: parts.wss,
    stats,
    drops: parts.drops,
    connections: parts.connections,
    protocol,
    heartbeat: heartbeat.round,
    recheckSessions: recheck.run,
    drain
  }
  app.decorate('websocket', service)
  return service
}

/** The protocol (checked against the handler table), the ws server and the bookkeeping the service shares. */
function serviceParts (app: FastifyInstance, deps: WebSocketServiceDependencies): Parts {
  const protocol = Protocol.load()
  assertHandlersMatch(protocol.clientTypes)
  const parts: Parts = {
    ...deps,
    log: app.log,
    protocol,
    wss: new WebSocketServer(webSocketServerOptions(deps.config.ws)),
    connections: new ConnectionRegistry(),
    activity: new SessionActivity(deps.sessions, deps.now, app.log),
    drops: new Counts<ConnectionDrop>(),
    logsSockets: ['trace', 'debug', 'info'].includes(app.log.level),
    observer: connectionObserver(deps.metrics, () => parts.drops)
  }
  return parts
}

/** Takes over a socket the gate accepted: bookkeeping, its own logger, and the connection. */
function accept (
  parts: Parts,
  ws: WebSocket,
  req: IncomingMessage,
  { client, session, sessionId, slotToken }: AcceptedHandshake
): void {
  const log = connectionLogger(parts.log, session.username)
  // The close listener comes first: whatever happens below, a closed socket gives its slots back.
  let connection: OpenConnection | undefined
  ws.once('close', (code) => {
    if (connection === undefined) parts.connections.releaseIp(client.key)
    else parts.connections.remove(connection)
    parts.userSlots.release(session.username, slotToken)
    if (parts.logsSockets) log().info({ event: 'ws_close', code }, 'socket closed')
  })
  const hero = new HeroConnection({
    ws,
    username: session.username,
    sessionId,
    sessionKey: session.key,
    activity: parts.activity,
    protocol: parts.protocol,
    limits: parts.config.ws,
    now: parts.now,
    log,
    observer: parts.observer
  })
  connection = {
    ws, ip: client.key, username: session.username, sessionKey: session.key, credential: session.credential, hero
  }
  parts.connections.add(connection)
  if (parts.logsSockets) log().info({ event: 'ws_open', ip: client.address }, 'socket opened')
  parts.wss.emit('connection', ws, req)
}

/**
 * The connection's own child logger (its id and user on every line), made when it first logs:
 * a child per socket was 2% of a handshake's CPU (npm run bench profile), spent for nothing
 * when the level logs nothing about sockets.
 */
function connectionLogger (parent: FastifyBaseLogger, username: string): () => FastifyBaseLogger {
  let child: FastifyBaseLogger | undefined
  // 12 random hex digits, from the random tail of a v4 UUID: randomUUID draws from a cached pool.
  return () => (child ??= parent.child({ conn: randomUUID().slice(-12), user: username }))
}

/** What every connection reports, counted in the metrics. */
function connectionObserver (metrics: AppMetrics, drops: () => Counts<ConnectionDrop>): ConnectionObserver {
  return {
    message: (type, outcome) => metrics.message(type, outcome),
    closed: (code) => metrics.closes.inc({ code: String(code) }),
    protocolError: (code) => metrics.websocketErrors.inc({ code }),
    dropped: (reason) => drops().count(reason)
  }
}

/** Closes the sockets of one session with 4401, saying why and how this instance learnt of it. */
function closeSession (
  parts: Parts,
  sessionKey: string,
  reason: string,
  source: 'local' | 'publish' | 'recheck'
): void {
  for (const connection of parts.connections.forSession(sessionKey)) {
    if (connection.ws.readyState !== connection.ws.OPEN) continue // closing already: told once
    parts.log.info(
      { event: 'ws_session_ended', user: connection.username, reason, source },
      'closing socket: session ended'
    )
    parts.metrics.revocations.inc({ path: source === 'recheck' ? 'safety_net' : source })
    connection.hero.close(reason === 'user_removed' ? 'account_removed' : 'session_ended')
  }
}

/** A session that ends (logout, expiry, user removed; here or on another instance) closes its sockets at once. */
function closeSocketsOnSessionEnd (parts: Parts): () => void {
  return parts.sessions.onEnd(({ session, reason, source }) => {
    parts.connections.sessionEnded(session.key) // handshakes still in the gate with it are refused
    closeSession(parts, session.key, reason, source)
  })
}

/** The safety net: open sockets whose session is gone close within SESSION_RECHECK_INTERVAL_MS. */
function recheckSessions (parts: Parts): SessionRecheck {
  return startSessionRecheck({
    sessions: parts.sessions,
    intervalMs: parts.config.ws.sessionRecheckIntervalMs,
    openSessionKeys: () => {
      const keys = parts.connections.sessionKeys()
      parts.activity.forgetAllBut(keys)
      return keys
    },
    closeSession: (key, reason) => {
      closeSession(parts, key, reason, 'recheck')
      // A session of a changed account is ended in the store too (when it answers).
      if (reason !== 'not_live') parts.sessions.destroyKey(key, reason).catch(() => {})
    },
    staleAccount: async (key) => {
      const [connection] = parts.connections.forSession(key)
      return connection === undefined ? undefined : await staleAccount(parts.users, connection)
    },
    log: parts.log,
    storeEvents: parts.storeEvents
  })
}

/** Milliseconds between two batches of closes in a drain. */
const DRAIN_BATCH_INTERVAL_MS = 50

/**
 * Closes every open socket with 1001 in equal batches every DRAIN_BATCH_INTERVAL_MS over
 * `windowMs` (0: all at once), waits up to `graceMs` more for their closing handshakes, then terminates the rest.
 */
async function closeGradually (parts: Parts, windowMs: number, graceMs: number): Promise<void> {
  const connections = [...parts.connections.all()]
  const batches = Math.max(1, Math.floor(windowMs / DRAIN_BATCH_INTERVAL_MS))
  const perBatch = Math.max(1, Math.ceil(connections.length / batches))
  const closed = connections.map((connection) => new Promise<void>((resolve) => {
    connection.ws.once('close', () => resolve())
  }))
  parts.log.info({ event: 'ws_drain', sockets: connections.length, windowMs, perBatch }, 'closing sockets')
  for (let i = 0; i < connections.length; i += perBatch) {
    if (i > 0) await sleep(DRAIN_BATCH_INTERVAL_MS)
    for (const connection of connections.slice(i, i + perBatch)) connection.hero.close('going_away')
  }
  await Promise.race([Promise.all(closed), sleep(graceMs, undefined, { ref: false })])
  for (const connection of parts.connections.all()) connection.ws.terminate()
}

/** The connections' servers, for the heartbeat. */
function * heroes (connections: ConnectionRegistry): Iterable<HeroConnection> {
  for (const connection of connections.all()) yield connection.hero
}
