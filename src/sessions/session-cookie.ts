// The session cookie: its name and attributes, reading it from a raw Cookie header, and the
// session it names.
// `__Host-` means the browser only accepts it with Secure, Path=/ and no Domain.
import type { CookieSerializeOptions } from '@fastify/cookie'
import type { Session, SessionStore } from '../stores/sessions/session-store.js'

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

/** The live session named by a Cookie header's single session cookie, with its secret id. */
export async function sessionFromCookie (
  sessions: SessionStore,
  header: string | undefined
): Promise<{ id: string, session: Session } | undefined> {
  const id = sessionIdFromCookieHeader(header)
  const session = id === undefined ? undefined : await sessions.get(id)
  return id !== undefined && session !== undefined ? { id, session } : undefined
}

/** True when a Cookie header carries a session cookie at all (live or not). */
export function hasSessionCookie (header: string | undefined): boolean {
  return header?.includes(SESSION_COOKIE + '=') === true
}
