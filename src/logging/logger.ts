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

/** Fastify's request in a log line: the URL and Host bounded, the peer's address as it is. */
function requestFields (request: FastifyRequest): Record<string, unknown> {
  return {
    method: bounded(request.method, 16),
    url: bounded(request.url),
    host: bounded(request.host),
    remoteAddress: request.ip,
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
