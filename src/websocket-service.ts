// Wires the WebSocket side into the app: the ws server (noServer, explicit limits), the
// upgrade gate, the connection registry, the heartbeat, closing a session's sockets when the
// session ends, and the graceful shutdown (503 to new upgrades, 1001 to open sockets).
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { WebSocketServer, type ServerOptions } from 'ws'
import type { Config } from './config.js'
import { GateStats } from './gate-stats.js'
import { HandshakeLimiter } from './handshake-limiter.js'
import { HeroConnection } from './hero-connection.js'
import { Protocol } from './protocol.js'
import { ConnectionRegistry, type OpenConnection } from './ws-connections.js'
import { createUpgradeGate } from './ws-gate.js'

declare module 'fastify' {
  interface FastifyInstance {
    websocket: WebSocketService
  }
}

/** What the app exposes of its WebSocket side (for shutdown, tests and operators). */
export interface WebSocketService {
  readonly wss: WebSocketServer
  readonly stats: GateStats
  readonly connections: ConnectionRegistry
  readonly protocol: Protocol
  /** One heartbeat round now (also runs every HEARTBEAT_INTERVAL_MS). */
  heartbeat (): void
}

/** Most fragments of one message, and most buffered network chunks, that ws will hold. */
const MAX_FRAGMENTS = 64
const MAX_BUFFERED_CHUNKS = 1024
/** Closing handshake wait before ws destroys the socket (ms). */
const CLOSE_TIMEOUT_MS = 5000

/** ws options, all set explicitly. Options newer than @types/ws are typed here. */
export function webSocketServerOptions (config: Config): ServerOptions & Record<string, unknown> {
  return {
    noServer: true,
    clientTracking: false,
    maxPayload: config.maxPayloadBytes,
    maxFragments: MAX_FRAGMENTS,
    maxBufferedChunks: MAX_BUFFERED_CHUNKS,
    maxPendingAutoPongs: 8,
    closeTimeout: CLOSE_TIMEOUT_MS,
    autoPong: true,
    skipUTF8Validation: false,
    allowSynchronousEvents: true,
    // permessage-deflate: off unless configured; when on, small messages are sent as they are and
    // ws bounds the inflated size of every message by maxPayload (zip bombs close with 1009).
    perMessageDeflate: config.perMessageDeflate
      ? { threshold: config.deflateThresholdBytes, serverNoContextTakeover: true, clientNoContextTakeover: true, concurrencyLimit: 10 }
      : false
  }
}

/** Adds the WebSocket side to `app`; call after the routes, before listen. */
export function attachWebSocketService (app: FastifyInstance, config: Config, now: () => number = Date.now): WebSocketService {
  const protocol = Protocol.load()
  const wss = new WebSocketServer(webSocketServerOptions(config))
  const connections = new ConnectionRegistry()
  const stats = new GateStats()
  const handshakes = new HandshakeLimiter(config.handshakeRate, config.handshakeBurst, now)
  const open = new Map<OpenConnection, HeroConnection>()
  let shuttingDown = false

  const gate = createUpgradeGate({
    config,
    wss,
    allowedOrigins: app.allowedOrigins,
    sessions: app.sessions,
    connections,
    handshakes,
    stats,
    log: app.log,
    isShuttingDown: () => shuttingDown,
    onAccepted (ws, req, { ip, session, sessionId }) {
      const connection: OpenConnection = { ws, ip, username: session.username, sessionKey: session.key }
      // 12 random hex digits, from the random tail of a v4 UUID: randomUUID draws from a cached
      // pool, where randomBytes(6) cost 3% of a handshake's CPU time (npm run bench profile).
      const log = app.log.child({ conn: randomUUID().slice(-12), user: session.username })
      connections.add(connection)
      ws.once('close', (code) => {
        connections.remove(connection)
        open.delete(connection)
        log.info({ event: 'ws_close', code }, 'socket closed')
      })
      open.set(connection, new HeroConnection({
        ws,
        username: session.username,
        sessionId,
        sessions: app.sessions,
        protocol,
        limits: config,
        now,
        log
      }))
      log.info({ event: 'ws_open', ip }, 'socket opened')
      wss.emit('connection', ws, req)
    }
  })
  app.server.on('upgrade', gate)

  // A session that ends (logout, expiry, user removed) closes its sockets at once.
  const unsubscribe = app.sessions.onEnd(({ session, reason }) => {
    for (const connection of connections.forSession(session.key)) {
      app.log.info({ event: 'ws_session_ended', user: session.username, reason }, 'closing socket: session ended')
      open.get(connection)?.close('session_ended')
    }
  })

  // Heartbeat: a peer that did not answer the previous ping is terminated.
  function heartbeat (): void {
    for (const [connection, hero] of open) {
      if (!hero.isAlive) {
        app.log.info({ event: 'ws_heartbeat_missed', user: connection.username }, 'terminating: missed pong')
        connection.ws.terminate()
        continue
      }
      hero.isAlive = false
      connection.ws.ping()
    }
  }
  const heartbeatTimer = setInterval(heartbeat, config.heartbeatIntervalMs)
  heartbeatTimer.unref()

  // Graceful shutdown: refuse new upgrades (503), close open sockets with 1001, and terminate
  // whatever has not finished its closing handshake within half the shutdown budget.
  app.addHook('preClose', async () => {
    shuttingDown = true
    clearInterval(heartbeatTimer)
    unsubscribe()
    const closing = [...open.keys()].map((connection) => new Promise<void>((resolve) => {
      connection.ws.once('close', () => resolve())
      open.get(connection)?.close('going_away')
    }))
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, Math.floor(config.shutdownTimeoutMs / 2)).unref())
    await Promise.race([Promise.all(closing), deadline])
    for (const connection of connections.all()) connection.ws.terminate()
    app.log.info({ event: 'ws_shutdown', gate: stats.snapshot() }, 'websocket closed')
  })
  app.addHook('onClose', async () => {
    app.server.off('upgrade', gate)
    wss.close()
  })

  const service: WebSocketService = { wss, stats, connections, protocol, heartbeat }
  app.decorate('websocket', service)
  return service
}
