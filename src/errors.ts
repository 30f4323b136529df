// The one registry of error codes: HTTP refusals (with status and the text a person reads),
// WebSocket gate refusals, protocol error replies and close codes, and the error class routes
// throw. Clients and tests match on codes, never on prose; docs/protocol.md's tables are
// generated from it (scripts/docs/protocol.ts).
import { MAX_PASSWORD_BYTES, MAX_USERNAME_LENGTH, MIN_PASSWORD_LENGTH } from './account-limits.js'

/**
 * HTTP refusals. `retryHint`: the text a person reads ends with the wait ("Try again in N s.")
 * when the refusal carries a Retry-After; `'words'`: the wait as a sentence ("Try again in 2 minutes.").
 */
export const HTTP_ERRORS = Object.freeze({
  login_failed: {
    status: 401,
    message: 'The username or the password is not right. Check the spelling (capital letters count) and try again.'
  },
  login_attempts_limited: {
    status: 429,
    message: 'Too many failed logins with this username. Check its spelling and ask your administrator if you ' +
      'have forgotten the password.',
    retryHint: 'words'
  },
  login_form_invalid: {
    status: 400,
    message: `Please enter a username and a password (usernames up to ${MAX_USERNAME_LENGTH} characters; ` +
      `passwords up to ${MAX_PASSWORD_BYTES} bytes, which is ${MAX_PASSWORD_BYTES} plain ASCII characters ` +
      'or fewer with accents or other scripts).'
  },
  password_form_invalid: {
    status: 400,
    message: 'Please enter your current password and the new one twice (each up to ' +
      `${MAX_PASSWORD_BYTES} bytes, which is ${MAX_PASSWORD_BYTES} plain ASCII characters or fewer with accents ` +
      'or other scripts).'
  },
  current_password_wrong: { status: 400, message: 'Your current password is incorrect. Your password is unchanged.' },
  new_passwords_differ: {
    status: 400, message: 'The two new passwords are not the same. Please type the new password twice.'
  },
  new_password_refused: { status: 400, message: 'This new password cannot be used.' },
  cross_site_request: { status: 403, message: 'This request came from another site and was refused.' },
  cross_site_requests_limited: {
    status: 429, message: 'Too many requests came from other sites. Please wait a moment.', retryHint: true
  },
  rate_limited: { status: 429, message: 'Too many requests. Please wait a moment and try again.', retryHint: true },
  login_busy: { status: 503, message: 'Too many people are logging in right now. Please try again in a moment.' },
  store_unavailable: {
    status: 503, message: 'The service cannot reach its session store right now. Please try again in a moment.'
  },
  shutting_down: { status: 503, message: 'This server is shutting down. Please try again in a moment.' },
  request_invalid: { status: 400, message: 'This request could not be understood.' },
  request_too_large: { status: 413, message: 'This request is too large.' },
  request_headers_too_large: { status: 431, message: 'This request\'s address or headers are too large.' },
  request_timeout: { status: 408, message: 'This request took too long to arrive.' },
  unsupported_media_type: { status: 415, message: 'This kind of request body is not accepted.' },
  precondition_failed: {
    status: 412, message: 'This file has changed since you last loaded it. Please reload the page.'
  },
  not_found: { status: 404, message: 'There is nothing here.' },
  internal_error: { status: 500, message: 'Something went wrong on our side. Please try again.' }
} as const)
export type HttpErrorCode = keyof typeof HTTP_ERRORS

/** What an HttpError carries besides its code. */
export interface HttpErrorOptions {
  /** Seconds the client is told to wait (Retry-After). */
  retryAfterS?: number
  /** The status to answer instead of the registry's. */
  statusCode?: number
  cause?: unknown
  /** Fields the refusal's log line carries (already bounded by the thrower). */
  log?: Record<string, unknown>
}

/** An HTTP refusal that knows its registry code, its status and, when it has one, its Retry-After. */
export class HttpError extends Error {
  override name = 'HttpError'
  readonly code: HttpErrorCode
  /** The status answered: the registry's, unless a route chose another one for the same code. */
  readonly statusCode: number
  /** Seconds the client is told to wait (Retry-After), when it should wait. */
  readonly retryAfterS: number | undefined
  /** Fields the refusal's log line carries (already bounded by the thrower). */
  readonly log: Readonly<Record<string, unknown>>

  constructor (code: HttpErrorCode, options: HttpErrorOptions = {}) {
    const entry: { message: string, status: number, retryHint?: boolean | 'words' } = HTTP_ERRORS[code]
    const hint = entry.retryHint === undefined || options.retryAfterS === undefined
      ? ''
      : entry.retryHint === 'words'
        ? ` Try again in ${waitInWords(options.retryAfterS)}.`
        : ` (Try again in ${options.retryAfterS} s.)`
    super(entry.message + hint, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.statusCode = options.statusCode ?? entry.status
    this.retryAfterS = options.retryAfterS
    this.log = options.log ?? {}
  }
}

/** A wait as a person says it: "1 second", "45 seconds", "1 minute", "15 minutes" (rounded up). */
export function waitInWords (seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 second' : `${seconds} seconds`
  const minutes = Math.ceil(seconds / 60)
  return minutes === 1 ? '1 minute' : `${minutes} minutes`
}

/**
 * A shared store (Redis) could not answer in time, or at all. Callers fail closed: a login or a
 * handshake is refused with 503 store_unavailable, never admitted on a guess.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError'
  constructor (operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(`the shared store did not answer ${operation}: ${reason}`, { cause })
  }
}

/** Seconds a refusal for an unreachable store is told to wait (Retry-After). */
export const STORE_UNAVAILABLE_RETRY_AFTER_S = 5

/** Notices the login page can show after a redirect (`/login?notice=<code>`). */
export const LOGIN_NOTICES: ReadonlyMap<string, string> = new Map([
  ['session_ended', 'Your session has ended. Please log in again.'],
  // The page's own owner was logged in as the account: it tells them nothing they did not know.
  ['account_removed', 'Your session ended because an administrator removed your account. Ask them if you still ' +
    'need access.'],
  ['logged_out', 'You have logged out.']
])

/**
 * Why a new password is refused (accounts/password-rules/): the code a page or a client matches
 * on, and the sentence the person choosing the password reads. Checked in this order.
 */
export const PASSWORD_REFUSALS = Object.freeze({
  password_too_long: `This password is too long: at most ${MAX_PASSWORD_BYTES} bytes, which is ${MAX_PASSWORD_BYTES} ` +
    'plain ASCII characters or fewer with accents or other scripts.',
  password_untypeable: 'This password holds a character the login form cannot carry (a line break, a tab or ' +
    'another control character).',
  password_has_username: 'This password contains your username.',
  password_has_context_word: 'This password contains the name of this service or of one of its heroes.',
  password_common: 'This password is on a list of commonly used or breached passwords.',
  password_too_short: `This password is too short: use at least ${MIN_PASSWORD_LENGTH} characters. ` +
    'A few words with spaces between them make a good one.'
} as const)
export type PasswordRefusalCode = keyof typeof PASSWORD_REFUSALS

/** Reasons the upgrade gate refuses a handshake: HTTP status, and what is logged and counted. */
export const GATE_REJECTIONS = Object.freeze({
  not_found: { status: 404 },
  method_not_allowed: { status: 405 },
  bad_handshake: { status: 400 },
  shutting_down: { status: 503 },
  handshake_rate_limited: { status: 429 },
  handshake_refusals_limited: { status: 429 },
  ip_connection_limit: { status: 429 },
  origin_missing: { status: 403 },
  origin_duplicated: { status: 403 },
  origin_forbidden: { status: 403 },
  session_missing: { status: 401 },
  session_invalid: { status: 401 },
  password_change_required: { status: 403 },
  user_connection_limit: { status: 429 },
  store_unavailable: { status: 503 }
} as const)
export type GateRejection = keyof typeof GATE_REJECTIONS

/** Error replies on the socket: `{"type":"error","code":...,"message":...}`. */
export const MESSAGE_ERRORS = Object.freeze({
  invalid_json: 'The message is not valid JSON.',
  invalid_message: 'The message does not match the protocol.',
  unknown_type: 'The message type is not known.',
  unknown_hero: 'There is no hero with that id.',
  rate_limited: 'Too many messages. Please slow down.'
} as const)
export type MessageErrorCode = keyof typeof MESSAGE_ERRORS

/**
 * Sockets dropped without a close frame (the peer would not read one): logged as ws_dropped with
 * the reason, and counted. The client sees 1006.
 */
export const CONNECTION_DROPS = Object.freeze({
  slow_reader: 'the peer stopped reading: more than MAX_BUFFERED_BYTES of replies were waiting to be sent',
  heartbeat_missed: 'the peer did not echo the payload of the last heartbeat ping within HEARTBEAT_INTERVAL_MS'
} as const)
export type ConnectionDrop = keyof typeof CONNECTION_DROPS

/**
 * Close codes the server itself sends, with the reason string sent in the close frame. ws sends
 * 1002, 1007, 1008 (fragments, chunks) and 1009 (MAX_PAYLOAD) on its own, with no reason.
 */
export const CLOSE_CODES = Object.freeze({
  going_away: { code: 1001, reason: 'server_shutting_down' },
  unsupported_data: { code: 1003, reason: 'binary_not_supported' },
  policy_violation: { code: 1008, reason: 'policy_violation' },
  internal_error: { code: 1011, reason: 'internal_error' },
  session_ended: { code: 4401, reason: 'session_ended' },
  /** The session ended because an administrator removed its account (4410: gone, like HTTP 410). */
  account_removed: { code: 4410, reason: 'account_removed' }
} as const)
export type CloseName = keyof typeof CLOSE_CODES
