// The logger: pino JSON with every secret path redacted, built once before anything else so
// that every part of the app (Fastify included, through loggerInstance) writes through it, and
// what tests capture is what production writes.
import type { FastifyBaseLogger } from 'fastify'
import { pino, type DestinationStream, type LoggerOptions } from 'pino'

/** Paths whose values never reach the log: cookies, authorization, passwords, session ids. */
export const REDACT_PATHS: readonly string[] = Object.freeze([
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

/** pino options for a given level. */
export function loggerOptions (level: string): LoggerOptions {
  return {
    level,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' }
  }
}

/** The app's logger at `level`, writing to `stream` (default stdout). */
export function createLogger (level: string, stream?: DestinationStream): FastifyBaseLogger {
  return stream === undefined ? pino(loggerOptions(level)) : pino(loggerOptions(level), stream)
}
