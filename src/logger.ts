// Logger options: pino JSON with every secret path redacted. Shared by the server and tests,
// so what tests capture is what production writes.
import type { LoggerOptions } from 'pino'

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
