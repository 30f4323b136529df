// The logger: pino JSON with every secret path redacted and every client-chosen string of a
// request bounded, built once before anything else so that every part of the app (Fastify
// included, through loggerInstance) writes through it, and what tests capture is what
// production writes.
import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import { pino, type DestinationStream, type LoggerOptions } from 'pino'
import { bounded } from './bounded.js'

/** Paths whose values never reach the log: cookies, authorization, passwords, session ids. */
const REDACT_PATHS: readonly string[] = Object.freeze([
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["sec-websocket-key"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  'password',
  '*.password',
  'body.password',
  'sessionId',
  '*.sessionId',
  'cookie',
  '*.cookie'
])

/**
 * Fastify's request in a log line: the URL and Host bounded, and the client as the limits see it
 * (behind TRUSTED_PROXIES, the forwarded client; `peer` then names the proxy it came through).
 */
function requestFields (request: FastifyRequest): Record<string, unknown> {
  // `client` is the request decorator of http/plugins.ts (read loosely: logging imports nothing above it).
  const client = (request as { client?: { address: string } }).client?.address
  const peer = request.ip
  return {
    method: bounded(request.method, 16),
    url: bounded(request.url),
    host: bounded(request.host),
    remoteAddress: client ?? peer,
    ...(client !== undefined && client !== peer ? { peer } : {}),
    remotePort: request.socket?.remotePort
  }
}

/** pino options for a given level. */
function loggerOptions (level: string): LoggerOptions {
  return {
    level,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    serializers: { req: requestFields }
  }
}

/** The app's logger at `level`, writing to `stream` (default stdout). */
export function createLogger (level: string, stream?: DestinationStream): FastifyBaseLogger {
  return stream === undefined ? pino(loggerOptions(level)) : pino(loggerOptions(level), stream)
}
