// The Node server under Fastify: HTTPS with the configured credentials (plain HTTP only with
// TLS=off), its TLS policy, and its timeouts, set here rather than left to the defaults.
//
// TLS: TLS 1.3, and for TLS 1.2 only forward-secret AEAD suites (the "intermediate" profile of
// Mozilla's server-side TLS guidelines, without DHE, which Node leaves off without parameters):
// no CBC (LUCKY13), no CCM8, no static RSA. TLS_MIN_VERSION=TLSv1.3 turns 1.2 off. The suites
// and groups are TLS_CIPHERS and TLS_GROUPS (defaults in src/config/variables.ts), so a new group
// (X25519MLKEM768 with OpenSSL 3.5) needs no code change.
//
// Timeouts: a client that sends its headers slowly is cut after HTTP_HEADERS_TIMEOUT_MS, a whole
// request may take HTTP_REQUEST_TIMEOUT_MS, an idle keep-alive connection closes after
// HTTP_KEEP_ALIVE_TIMEOUT_MS, and Node checks them every second (its default is every 30 s, which
// would let a slow client hold its socket that much longer).
import type { ServerOptions as HttpServerOptions } from 'node:http'
import type { ServerOptions as HttpsServerOptions } from 'node:https'
import type { Config } from '../config/config.js'
import type { TlsCredentials } from '../config/tls-credentials.js'

/** A TLS handshake must finish within this time (ms; Node's default is 120 s). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000
/** An idle socket (no bytes either way) is closed after this time (ms). */
const CONNECTION_TIMEOUT_MS = 30_000
/** How often Node enforces the headers and request timeouts (ms). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000

export interface ServerOptions {
  https: HttpsServerOptions | null
  http: HttpServerOptions
  connectionTimeout: number
  requestTimeout: number
  keepAliveTimeout: number
}

/** Fastify's server options: TLS (null for plain HTTP), the policy, and the timeouts. */
export function httpServerOptions (
  config: Pick<Config, 'http' | 'tls'>,
  tls: TlsCredentials | undefined
): ServerOptions {
  const timeouts: HttpServerOptions = {
    headersTimeout: config.http.headersTimeoutMs,
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS
  }
  return {
    https: tls === undefined
      ? null
      : {
          ...timeouts,
          key: tls.key,
          cert: tls.cert,
          handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
          minVersion: config.tls.minVersion,
          ciphers: config.tls.ciphers,
          ecdhCurve: config.tls.groups,
          honorCipherOrder: false
        },
    http: timeouts,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs
  }
}
