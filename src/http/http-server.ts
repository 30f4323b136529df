// The Node server under Fastify: HTTPS with the configured credentials (plain HTTP only with
// TLS=off), with its timeouts set here rather than left to the defaults.
import type { ServerOptions } from 'node:https'
import type { TlsCredentials } from '../config/tls-credentials.js'

/** A TLS handshake must finish within this time (ms; Node's default is 120 s): idle half-open sockets cannot pile up. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000
/** A request must arrive whole within this time (ms), and a socket idle this long is closed. */
const REQUEST_TIMEOUT_MS = 30_000
const CONNECTION_TIMEOUT_MS = 30_000

/** Fastify's server options: TLS (or null for plain HTTP) and the timeouts. */
export function httpServerOptions (tls: TlsCredentials | undefined): { https: ServerOptions | null, connectionTimeout: number, requestTimeout: number } {
  return {
    https: tls === undefined ? null : { key: tls.key, cert: tls.cert, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS },
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS
  }
}
