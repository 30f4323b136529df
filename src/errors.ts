// The one registry of error codes: HTTP refusals (with status and the text a person reads),
// WebSocket gate refusals, protocol error replies and close codes. Clients and tests match
// on codes, never on prose; test/errors.test.ts checks that every code is in the README.

/** HTTP refusals of the login and page routes. */
export const HTTP_ERRORS = Object.freeze({
  login_failed: { status: 401, message: 'Your login information is incorrect.' },
  login_form_invalid: { status: 400, message: 'Please enter a username and a password (usernames up to 64 characters, passwords up to 1024).' },
  cross_site_request: { status: 403, message: 'This request came from another site and was refused.' },
  rate_limited: { status: 429, message: 'Too many requests. Please wait a moment and try again.' },
  login_busy: { status: 503, message: 'Too many people are logging in right now. Please try again in a moment.' },
  not_found: { status: 404, message: 'There is nothing here.' },
  internal_error: { status: 500, message: 'Something went wrong on our side. Please try again.' }
} as const)
export type HttpErrorCode = keyof typeof HTTP_ERRORS

/** Notices the login page can show after a redirect (`/login?notice=<code>`). */
export const LOGIN_NOTICES: ReadonlyMap<string, string> = new Map([
  ['session_ended', 'Your session has ended. Please log in again.'],
  ['logged_out', 'You have logged out.']
])

/** Reasons the upgrade gate refuses a handshake: HTTP status, and what is logged and counted. */
export const GATE_REJECTIONS = Object.freeze({
  not_found: { status: 404 },
  method_not_allowed: { status: 405 },
  bad_handshake: { status: 400 },
  shutting_down: { status: 503 },
  handshake_rate_limited: { status: 429 },
  ip_connection_limit: { status: 429 },
  origin_missing: { status: 403 },
  origin_duplicated: { status: 403 },
  origin_forbidden: { status: 403 },
  session_missing: { status: 401 },
  session_invalid: { status: 401 },
  user_connection_limit: { status: 429 }
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

/** Close codes the server uses, with the reason string sent in the close frame. */
export const CLOSE_CODES = Object.freeze({
  going_away: { code: 1001, reason: 'server_shutting_down' },
  unsupported_data: { code: 1003, reason: 'binary_not_supported' },
  policy_violation: { code: 1008, reason: 'policy_violation' },
  message_too_big: { code: 1009, reason: 'message_too_big' },
  internal_error: { code: 1011, reason: 'internal_error' },
  session_ended: { code: 4401, reason: 'session_ended' }
} as const)
export type CloseName = keyof typeof CLOSE_CODES
