// The session cookie: its name and attributes, and reading it from a raw Cookie header.
// `__Host-` means the browser only accepts it with Secure, Path=/ and no Domain.
import type { CookieSerializeOptions } from '@fastify/cookie'

export const SESSION_COOKIE = '__Host-sid'

/** Attributes of the session cookie; no Max-Age: it lives as long as the server-side session. */
export const SESSION_COOKIE_OPTIONS: CookieSerializeOptions = Object.freeze({
  path: '/',
  secure: true,
  httpOnly: true,
  sameSite: 'strict'
})

// Cookie parsers (cookie, @fastify/cookie) keep the first of duplicate names silently; the gate
// must refuse duplicates, so this one counts. Our ids are base64url, so no decoding is needed.
/**
 * The session id from a Cookie header when it holds exactly one `__Host-sid` cookie;
 * undefined when there is none, or more than one (a sign of cookie tossing).
 */
export function sessionIdFromCookieHeader (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  let found: string | undefined
  let count = 0
  for (const part of header.split(';')) {
    const pair = part.trim()
    if (pair.startsWith(SESSION_COOKIE + '=')) {
      found = pair.slice(SESSION_COOKIE.length + 1)
      count++
    }
  }
  return count === 1 ? found : undefined
}
