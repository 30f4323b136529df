// Session ids, the same for every store: 256 random bits from the CSPRNG as base64url (the
// cookie's value), and their SHA-256 (`key`), the only form a store keeps, so neither a store dump
// nor a log line can be replayed as a cookie. Logs carry a prefix of the key only.
import { hash, randomBytes } from 'node:crypto'

/** Session ids: 32 bytes from the CSPRNG, base64url (43 characters). */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/

/** Hex digits of a session key that logs carry. */
const LOGGED_KEY_LENGTH = 12

/** A new secret session id (the cookie value). */
export function newSessionId (): string {
  return randomBytes(32).toString('base64url')
}

/** True when `id` has the shape of a session id we issue (a cheap check before hashing). */
export function isSessionIdShape (id: string): boolean {
  return SESSION_ID_PATTERN.test(id)
}

/** Session keys: the SHA-256 of an id, in lower-case hex. */
const SESSION_KEY_PATTERN = /^[0-9a-f]{64}$/

/** True when `key` has the shape of a session key (what a store or a publish may be trusted with). */
export function isSessionKeyShape (key: string): boolean {
  return SESSION_KEY_PATTERN.test(key)
}

/** The non-secret key of a session id: its SHA-256, in hex. */
export function sessionKeyOf (id: string): string {
  // The one-shot crypto.hash: a third of createHash().update().digest()'s cost (npm run bench profile).
  return hash('sha256', id, 'hex')
}

/** What logs carry of a session: the first 12 hex digits of its key. */
export function loggedSessionKey (key: string): string {
  return key.slice(0, LOGGED_KEY_LENGTH)
}
