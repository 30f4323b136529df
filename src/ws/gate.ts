// The WebSocket gate: the server's one 'upgrade' listener, and the security reviewer's page.
// It reads top to bottom as the checks a handshake must pass before `ws` sees it. Each failed
// check answers one small HTTP response (Connection: close), logs and counts its reason from
// the registry in errors.ts, and destroys the socket. Nothing else lives in this file.
//
// Two budgets per client (its key: the address, or its /64 for IPv6): handshakes that pass spend
// WS_HANDSHAKE_RATE; refused ones spend WS_REFUSED_HANDSHAKE_RATE instead, so a page on another
// origin opening our socket in a loop cannot starve its visitor's real handshakes. Once the
// refusal budget is spent, refusals are answered 429 and stop being given back their handshake.
// Our own answers past the rate check (the socket caps, a shutdown, a store down) keep theirs.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { WebSocket, WebSocketServer } from 'ws'
import { accountSession, mustChangeFirst } from '../accounts/account-sessions.js'
import type { UsersStore } from '../accounts/users-store.js'
import type { WsConfig } from '../config/config.js'
import {
  GATE_REJECTIONS, STORE_UNAVAILABLE_RETRY_AFTER_S, StoreUnavailableError, type GateRejection
} from '../errors.js'
import type { AllowedOrigins } from '../edge/allowed-origins.js'
import { clientOf, type Client, type TrustedProxies } from '../edge/client-address.js'
import { endWithRawAnswer } from '../edge/fixed-headers.js'
import { bounded } from '../logging/bounded.js'
import { sessionIdFromCookieHeader } from '../sessions/session-cookie.js'
import { sessionKeyOf } from '../stores/sessions/session-ids.js'
import type { Session, SessionStore } from '../stores/sessions/session-store.js'
import type { ConnectionRegistry, SessionWatch } from './connection-registry.js'
import type { Counts } from './counts.js'
import type { HandshakeLimiter } from './handshake-limiter.js'
import type { UserSlots } from '../stores/user-slots/user-slots.js'

/** What the gate counts: each refusal reason, and accepted handshakes. */
export type GateOutcome = GateRejection | 'accepted'

/** The one path that upgrades. */
const WS_PATH = '/ws'
/** Retry-After (seconds) for 503 while shutting down, and for the connection caps. */
const SHUTDOWN_RETRY_AFTER_S = 5
const CONNECTION_CAP_RETRY_AFTER_S = 5

/** A handshake that passed every check. */
export interface AcceptedHandshake {
  readonly client: Client
  readonly session: Session
  /** The secret session id (memory only: used to touch the session). */
  readonly sessionId: string
  /** The user slot this socket holds; give it back when the socket closes. */
  readonly slotToken: string
}

export interface GateDependencies {
  /** The socket caps: open (and opening) sockets per client key, and per user. */
  readonly caps: Pick<WsConfig, 'maxConnectionsPerIp' | 'maxConnectionsPerUser'>
  readonly wss: WebSocketServer
  readonly allowedOrigins: AllowedOrigins
  readonly trustedProxies: TrustedProxies
  readonly sessions: SessionStore
  readonly users: UsersStore
  readonly connections: ConnectionRegistry
  readonly userSlots: UserSlots
  /** Per-client budgets: of handshakes that pass, and of refused ones. */
  readonly handshakes: HandshakeLimiter
  readonly refusals: HandshakeLimiter
  /** Counts of accepted handshakes and of each refusal reason. */
  readonly stats: Counts<GateOutcome>
  readonly log: FastifyBaseLogger
  readonly isShuttingDown: () => boolean
  /** Takes over each accepted socket (its IP slot stays reserved until it closes). */
  readonly onAccepted: (ws: WebSocket, req: IncomingMessage, handshake: AcceptedHandshake) => void
}

/** Builds the 'upgrade' listener; attach it with `server.on('upgrade', gate)`. */
export function createUpgradeGate (deps: GateDependencies): (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer
) => void {
  const gate: Gate = { ...deps, onSocketError: socketErrorListener(deps.log) }

  // ws found the handshake itself malformed (Upgrade header, Sec-WebSocket-Key/Version, extensions).
  // Its errors here carry no code, only ws's own fixed text (never client input), which is logged.
  deps.wss.on('wsClientError', (err: Error & { code?: string }, socket: Duplex, req: IncomingMessage) => {
    refuse(
      gate,
      socket,
      'bad_handshake',
      { client: clientOf(req.socket.remoteAddress, req.headers, deps.trustedProxies) },
      undefined,
      err.code ?? err.message
    )
  })

  return function onUpgrade (req, socket, head) {
    socket.on('error', gate.onSocketError)
    checkHandshake(gate, req, socket, head).catch((err: unknown) => {
      deps.log.error({ err }, 'upgrade gate failed')
      socket.destroy()
    })
  }
}

interface Gate extends GateDependencies {
  /** The socket's 'error' listener from the first check until ws takes the socket over. */
  readonly onSocketError: (this: Duplex, err: Error & { code?: string }) => void
}

/** The checks, in order. Each failure answers its status and returns; nothing else is done. */
async function checkHandshake (gate: Gate, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const { caps, connections } = gate
  const client = clientOf(req.socket.remoteAddress, req.headers, gate.trustedProxies)
  let spent = false // a handshake of the client's budget is held, and given back if this one is refused
  const reject = (reason: GateRejection, retryAfterS?: number, detail?: string, username?: string): void => {
    if (refuse(gate, socket, reason, { client, username }, retryAfterS, detail) && spent) {
      gate.handshakes.refund(client.key)
    }
  }

  // 1 and 2. The path, the method, shutdown and the Origin, before any budget.
  const early = refusalBeforeBudget(gate, req)
  if (early !== undefined) return reject(early.reason, early.retryAfterS)

  // 3. The client's handshake rate, then its open-plus-opening sockets on this instance.
  const waitMs = gate.handshakes.take(client.key)
  if (waitMs > 0) return reject('handshake_rate_limited', Math.ceil(waitMs / 1000))
  spent = true
  if (!connections.reserveIp(client.key, caps.maxConnectionsPerIp)) {
    return reject('ip_connection_limit', CONNECTION_CAP_RETRY_AFTER_S)
  }
  let slot: { username: string, token: string } | undefined, watch: SessionWatch | undefined
  let accepted = false
  try {
    // 4. Exactly one __Host-sid cookie naming a live session of an account that still holds its
    //    password, not a one-time one (a store down: 503), watched: an end heard meanwhile refuses it.
    const sessionId = sessionIdFromCookieHeader(req.headers.cookie)
    if (sessionId === undefined) return reject('session_missing')
    watch = connections.watchSession(sessionKeyOf(sessionId))
    const session = await accountSession(gate.sessions, gate.users, sessionId)
    if (session === undefined) return reject('session_invalid')
    if (await mustChangeFirst(gate.users, session)) return reject('password_change_required', undefined, 'one-time')
    // 5. The user's open sockets, counted on every instance.
    const token = await gate.userSlots.acquire(session.username, caps.maxConnectionsPerUser)
    if (token === undefined) {
      return reject('user_connection_limit', CONNECTION_CAP_RETRY_AFTER_S, undefined, session.username)
    }
    slot = { username: session.username, token }
    if (socket.destroyed) return // the peer left while the store was asked
    if (gate.isShuttingDown()) return reject('shutting_down', SHUTDOWN_RETRY_AFTER_S, undefined, session.username)
    if (watch.ended) {
      return reject('session_invalid', undefined, 'the session ended during the handshake', session.username)
    }

    // Every check passed: ws completes the handshake (or refuses it as bad_handshake above).
    socket.off('error', gate.onSocketError)
    gate.wss.handleUpgrade(req, socket, head, (ws) => {
      accepted = true
      gate.stats.count('accepted')
      gate.onAccepted(ws, req, { client, session, sessionId, slotToken: token })
    })
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err
    return reject('store_unavailable', STORE_UNAVAILABLE_RETRY_AFTER_S, err.message)
  } finally {
    watch?.done()
    if (!accepted) giveBack(gate, client.key, slot)
  }
}

/** Checks 1 and 2, the ones made before any budget is spent: the refusal they answer, if any. */
function refusalBeforeBudget (
  gate: Gate,
  req: IncomingMessage
): { reason: GateRejection, retryAfterS?: number } | undefined {
  // 1. The one WebSocket path, with GET; not while shutting down.
  if (pathOf(req.url) !== WS_PATH) return { reason: 'not_found' }
  if (req.method !== 'GET') return { reason: 'method_not_allowed' }
  if (gate.isShuttingDown()) return { reason: 'shutting_down', retryAfterS: SHUTDOWN_RETRY_AFTER_S }

  // 2. Origin: present, single, and exactly one of ALLOWED_ORIGINS (no pattern matching). Before
  //    any budget: a page on another origin spends only the refusal budget.
  const origins = headerValues(req, 'origin')
  if (origins.length === 0) return { reason: 'origin_missing' }
  if (origins.length > 1) return { reason: 'origin_duplicated' }
  if (!gate.allowedOrigins.has(origins[0])) return { reason: 'origin_forbidden' }
  return undefined
}

/** Gives back what a handshake that was not accepted held: its IP slot, and its user slot if it took one. */
function giveBack (gate: Gate, clientKey: string, slot: { username: string, token: string } | undefined): void {
  gate.connections.releaseIp(clientKey)
  if (slot !== undefined) gate.userSlots.release(slot.username, slot.token)
}

/** Refusals that are answers of our own (a limit, a shutdown): no refusal budget is spent on them. */
const UNBUDGETED: ReadonlySet<GateRejection> = new Set<GateRejection>([
  'shutting_down',
  'handshake_rate_limited',
  'handshake_refusals_limited',
  'ip_connection_limit',
  'user_connection_limit',
  'store_unavailable'
])
/** Refusals logged as warnings: what a hijacking attempt looks like. */
const WARNINGS: ReadonlySet<GateRejection> = new Set<GateRejection>([
  'origin_forbidden',
  'origin_duplicated',
  'store_unavailable'
])

/**
 * Answers one small HTTP refusal, logs and counts it, and ends the socket. A refusal spends the
 * client's refusal budget; once that is empty it is answered 429 handshake_refusals_limited
 * (counted, logged at debug only: a flood must not flood the log).
 * @returns true when the refusal spent the refusal budget instead (its handshake is given back);
 *   our own answers (a cap, a shutdown, a store down) keep the handshake they spent
 */
function refuse (
  gate: Gate,
  socket: Duplex,
  reason: GateRejection,
  who: { client: Client, username?: string | undefined },
  retryAfterS?: number,
  detail?: string
): boolean {
  const { client, username } = who
  let answered = reason
  let retryAfter = retryAfterS
  let budgeted = false
  if (!UNBUDGETED.has(reason)) {
    const waitMs = gate.refusals.take(client.key)
    budgeted = waitMs === 0
    if (!budgeted) {
      answered = 'handshake_refusals_limited'
      retryAfter = Math.ceil(waitMs / 1000)
    }
  }
  const { status } = GATE_REJECTIONS[answered]
  gate.stats.count(answered)
  const level = answered === 'handshake_refusals_limited' ? 'debug' : WARNINGS.has(answered) ? 'warn' : 'info'
  gate.log[level](
    {
      event: 'ws_rejected',
      reason: answered,
      status,
      ip: client.address,
      ...(username === undefined ? {} : { username }),
      ...(detail === undefined ? {} : { detail: bounded(detail) })
    },
    'handshake refused'
  )
  abortHandshake(socket, status, retryAfter)
  return budgeted
}

/** A socket error before ws has the socket (a reset, a TLS failure): logged, and the socket ends. */
function socketErrorListener (log: FastifyBaseLogger): (this: Duplex, err: Error & { code?: string }) => void {
  return function onSocketError (err) {
    log.debug({ event: 'ws_handshake_socket_error', code: err.code }, 'socket error during handshake')
    this.destroy()
  }
}

/**
 * Writes the refusal (rawAnswer: Connection: close, the fixed security headers) and destroys the socket once it is
 * sent.
 */
function abortHandshake (socket: Duplex, status: number, retryAfterS?: number): void {
  endWithRawAnswer(socket, status, retryAfterS === undefined ? {} : { retryAfterS })
}

/** The path of a request target, without the query; undefined for anything but origin-form. */
function pathOf (url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/')) return undefined
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/** Every value of a header as sent (Node joins or drops duplicates in req.headers). */
function headerValues (req: IncomingMessage, name: string): string[] {
  const values: string[] = []
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === name) values.push(raw[i + 1] ?? '')
  }
  return values
}
