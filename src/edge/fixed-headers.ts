// The one fixed set of security headers every answer carries, whoever writes it: Fastify's
// replies (security-headers.ts adds them to each), and the answers written straight to a socket
// (the upgrade gate's refusals, Node's clientError answers, a URL the router cannot read), which
// rawAnswer() writes here. Only the Content-Security-Policy of pages depends on the request (its
// socket origins); a raw answer is never a page, so it gets the strictest policy.
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

/** HSTS: one year, subdomains included. */
export const HSTS_MAX_AGE_S = 31_536_000

/** Headers on every response (lower case, as Fastify and Node write them). */
export const FIXED_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'strict-transport-security': `max-age=${HSTS_MAX_AGE_S}; includeSubDomains`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Not no-referrer: under it Chromium sends `Origin: null` on our own form posts (login, logout).
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0'
})

/** The policy of an answer that is never a page: it may load, run and be framed by nothing. */
export const RAW_ANSWER_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/** FIXED_SECURITY_HEADERS and RAW_ANSWER_CSP, for an answer Fastify's hooks never saw. */
export const RAW_ANSWER_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...FIXED_SECURITY_HEADERS,
  'content-security-policy': RAW_ANSWER_CSP,
  'cache-control': 'no-store'
})

/** What rawAnswer() writes besides the status. */
export interface RawAnswerOptions {
  /** Seconds the client is told to wait (Retry-After). */
  readonly retryAfterS?: number
  /** The body (default: the status text, as text/plain). */
  readonly body?: string
  /** The body's type (default `text/plain; charset=utf-8`). */
  readonly contentType?: string
}

/**
 * A whole HTTP/1.1 response with `Connection: close` and RAW_ANSWER_HEADERS, as the bytes to
 * write to a socket that no HTTP response object owns.
 */
export function rawAnswer (status: number, options: RawAnswerOptions = {}): string {
  const text = STATUS_CODES[status] ?? 'Error'
  const body = options.body ?? text
  const lines = [
    `HTTP/1.1 ${status} ${text}`,
    'Connection: close',
    `Content-Type: ${options.contentType ?? 'text/plain; charset=utf-8'}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(RAW_ANSWER_HEADERS).map(([name, value]) => `${name}: ${value}`),
    ...(options.retryAfterS === undefined ? [] : [`Retry-After: ${options.retryAfterS}`])
  ]
  return `${lines.join('\r\n')}\r\n\r\n${body}`
}

/** Writes rawAnswer(status, options) to a socket no HTTP response owns, and destroys it once sent. */
export function endWithRawAnswer (socket: Duplex, status: number, options: RawAnswerOptions = {}): void {
  if (!socket.writable || socket.destroyed) {
    socket.destroy()
    return
  }
  socket.once('finish', () => socket.destroy())
  socket.end(rawAnswer(status, options))
}
