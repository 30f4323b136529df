// The generated tables of docs/protocol.md: the messages (from schemas/), the heroes, and every
// code a client can meet (from the registry in src/errors.ts). The registry says which codes
// exist and their statuses; the sentences here say when each is met, and their types make a
// code without its sentence (or a sentence without its code) a compile error.
import { LOGIN_FORM_BODY_LIMIT, MAX_PASSWORD_BYTES, MAX_USERNAME_LENGTH } from '../../src/accounts/account-rules.js'
import {
  CLOSE_CODES, CONNECTION_DROPS, GATE_REJECTIONS, HTTP_ERRORS, MESSAGE_ERRORS,
  type CloseName, type GateRejection, type HttpErrorCode, type MessageErrorCode
} from '../../src/errors.js'
import { HEROES } from '../../src/protocol/heroes.js'
import { readProtocolSchemas, type ProtocolSchema } from '../../src/protocol/schema-files.js'
import { code, markdownTable, type DocBlock } from './doc-block.js'

const PAGE = 'docs/protocol.md'

/** When each error reply is sent. */
const MESSAGE_ERRORS_WHEN: { readonly [K in MessageErrorCode]: string } = {
  invalid_json: 'the frame is not JSON',
  invalid_message: 'JSON, but not an object with a string `type`, or it fails its schema',
  unknown_type: '`type` is not a message the client may send',
  unknown_hero: '`hero` is not in the catalogue',
  rate_limited: 'the connection\'s token bucket is empty; `retryAfterMs` says when to try again'
}

/** When the server sends each close code, and what the client should do then. */
const CLOSES_WHEN: { readonly [K in CloseName]: { readonly when: string, readonly clientShould: string } } = {
  going_away: { when: 'graceful shutdown (SIGTERM/SIGINT)', clientShould: 'reconnect with backoff' },
  unsupported_data: { when: 'a binary frame', clientShould: 'not reconnect as is (a bug)' },
  policy_violation: {
    when: 'continued abuse: too many invalid messages, or messages or pings past the rate limit, within ' +
      '`ABUSE_WINDOW_S`',
    clientShould: 'not reconnect'
  },
  internal_error: {
    when: 'the server failed while handling this socket (logged as `ws_internal_error`)',
    clientShould: 'reconnect with backoff'
  },
  session_ended: {
    when: 'logout, idle or absolute expiry, a new login replacing the session, the user\'s oldest session ended by ' +
      '`MAX_SESSIONS_PER_USER`, or their password changed',
    clientShould: 'go to the login page'
  },
  account_removed: {
    when: 'the session\'s account was removed by an administrator',
    clientShould: 'go to the login page and say the account was removed'
  }
}

/** Close codes ws sends on its own, with no reason: not in the registry, since the server never chooses them. */
const WS_OWN_CLOSES: ReadonlyArray<{ readonly code: number, readonly when: string, readonly clientShould: string }> = [
  {
    code: 1008,
    when: 'too many fragments in one message or buffered chunks (sent by ws, with no reason)',
    clientShould: 'not reconnect'
  },
  { code: 1009, when: 'a message over `MAX_PAYLOAD` (sent by ws, with no reason)', clientShould: 'not reconnect as is' }
]

/** What each gate refusal checks, in the order the gate checks it. */
const GATE_CHECKS: { readonly [K in GateRejection]: string } = {
  not_found: 'the path is not `/ws`',
  method_not_allowed: 'the method is not GET',
  shutting_down: 'the server is shutting down (`Retry-After`)',
  handshake_rate_limited: 'the IP\'s handshake bucket is empty (`Retry-After`)',
  handshake_refusals_limited: 'the IP\'s refusal budget (`WS_REFUSED_HANDSHAKE_*`) is spent: a refusal is answered ' +
    'this way instead of with its reason (`Retry-After`; logged at debug only)',
  ip_connection_limit: 'the IP has `WS_MAX_CONNECTIONS_PER_IP` sockets open or opening (`Retry-After`)',
  origin_missing: 'no `Origin` header',
  origin_duplicated: 'more than one `Origin` header',
  origin_forbidden: '`Origin` is not exactly one of `ALLOWED_ORIGINS`',
  session_missing: 'not exactly one `__Host-sid` cookie',
  session_invalid: 'the cookie names no live session',
  password_change_required: 'the session\'s account holds a one-time (issued) password: it reaches ' +
    '`/account/password` only',
  user_connection_limit: 'the user has `WS_MAX_CONNECTIONS_PER_USER` sockets open, on every instance together ' +
    '(`Retry-After`)',
  store_unavailable: 'with `REDIS_URL`, Redis did not answer the session or socket-slot check within ' +
    '`REDIS_TIMEOUT_MS` (`Retry-After`)',
  bad_handshake: 'ws found the handshake malformed (key, version, extensions)'
}

/** When each HTTP error is answered. */
const HTTP_ERRORS_WHEN: { readonly [K in HttpErrorCode]: string } = {
  login_failed: 'unknown user or wrong password (the same page, the same status, similar time)',
  login_attempts_limited: 'past `LOGIN_RATE_USER_MAX` failed logins of one username from one client in the login ' +
    'window (`Retry-After`; successful logins are not counted)',
  login_form_invalid: `a login form with missing fields, a username over ${MAX_USERNAME_LENGTH} characters / a ` +
    `password over ${MAX_PASSWORD_BYTES} bytes of UTF-8, a body over ${LOGIN_FORM_BODY_LIMIT} bytes (413), or a body ` +
    'type nothing parses (415): refused before argon2',
  password_form_invalid: 'a change-password form with a missing field or a password over ' +
    `${MAX_PASSWORD_BYTES} bytes of UTF-8 (refused before argon2)`,
  current_password_wrong: 'the current password given on `/account/password` does not match (or the account ' +
    'vanished meanwhile: the same answer); counted by the login limits',
  new_passwords_differ: 'the new password and its repeat on `/account/password` differ',
  new_password_refused: 'the new password breaks a password rule; the page shows which, in words ' +
    '(`PASSWORD_REFUSALS`)',
  cross_site_request: 'any request that Fetch Metadata (`Sec-Fetch-Site` other than `same-origin` or `none`) or its ' +
    '`Origin` (not one of `ALLOWED_ORIGINS`) says came from another site, unless it is a top-level GET navigation; ' +
    'and a login or logout without an allowed `Origin`',
  cross_site_requests_limited: 'the client\'s budget of what may be another site\'s doing ' +
    '(`RATE_LIMIT_CROSS_SITE_MAX`: cross-site refusals, navigations from elsewhere) is spent (`Retry-After`; logged ' +
    'at debug only)',
  rate_limited: 'a rate limit (`Retry-After` says when to try again)',
  login_busy: '256 password checks are already waiting, or this one waited 10 s for its turn; `Retry-After: 2`',
  store_unavailable: 'with `REDIS_URL`, Redis did not answer within `REDIS_TIMEOUT_MS` (or is down): nothing was ' +
    'done, no cookie was set; `Retry-After: 5`',
  shutting_down: 'the request arrived while the app closes (after the drain, on a connection still open); ' +
    '`Retry-After: 5`',
  request_invalid: 'a URL or request body Fastify could not read or validate (`GET /%`), a request Node could not ' +
    'parse (a bad header, an unknown method), on a route without a code of its own (a client error a plugin reports ' +
    'with another status keeps that status)',
  request_too_large: 'a request body over the route\'s limit (16 KiB unless the route sets less)',
  request_headers_too_large: 'a request line (URL) and headers over Node\'s 16 KiB limit (answered by ' +
    '`src/http/client-errors.ts`)',
  request_timeout: 'a request whose headers did not arrive within `HTTP_HEADERS_TIMEOUT_MS` (or whole within ' +
    '`HTTP_REQUEST_TIMEOUT_MS`)',
  unsupported_media_type: 'a request body of a type no parser accepts',
  precondition_failed: 'an asset request whose `If-Match` no longer matches',
  not_found: 'no such route, asset, folder listing or dotfile',
  internal_error: 'the server failed'
}

/** The example a schema file gives (its first `examples` entry), as one line of JSON. */
export function schemaExample (s: ProtocolSchema): string {
  const examples = s.schema.examples
  if (!Array.isArray(examples) || examples.length === 0) {
    throw new Error(`schemas/${s.file}: give the message an example (\`examples\`), which docs/protocol.md shows`)
  }
  return JSON.stringify(examples[0])
}

function messagesTable (): string {
  const rows = readProtocolSchemas().map((s) => [
    s.from === 'client' ? 'client → server' : 'server → client',
    code(s.type),
    `[${code(`schemas/${s.file}`)}](../schemas/${s.file})`,
    typeof s.schema.description === 'string' ? s.schema.description : '',
    code(schemaExample(s))
  ])
  return markdownTable(['direction', '`type`', 'schema', 'what', 'example'], rows)
}

function heroesTable (): string {
  const rows = [...HEROES.values()].map((hero) => [code(hero.id), hero.name, hero.realName])
  return markdownTable(['id', 'name', 'real name'], rows)
}

function messageErrorsTable (): string {
  const rows = Object.entries(MESSAGE_ERRORS_WHEN).map(([name, when]) => [
    code(name), when, MESSAGE_ERRORS[name as MessageErrorCode]
  ])
  return markdownTable(['code', 'when', '`message`'], rows)
}

function closeCodesTable (): string {
  const sent = Object.entries(CLOSES_WHEN).map(([name, doc]) => ({ ...doc, ...CLOSE_CODES[name as CloseName] }))
  const all = [...sent, ...WS_OWN_CLOSES.map((close) => ({ ...close, reason: '' }))].sort((a, b) => a.code - b.code)
  return markdownTable(['code', 'reason', 'when', 'the client should'], all.map((close) => [
    code(close.code), close.reason === '' ? '' : code(close.reason), close.when, close.clientShould
  ]))
}

function dropsTable (): string {
  const rows = Object.entries(CONNECTION_DROPS).map(([reason, when]) => [code(reason), when])
  return markdownTable(['reason', 'when'], rows)
}

function gateTable (): string {
  const rows = Object.entries(GATE_CHECKS).map(([reason, check]) => [
    String(GATE_REJECTIONS[reason as GateRejection].status), code(reason), check
  ])
  return markdownTable(['status', 'reason', 'check'], rows)
}

function httpErrorsTable (): string {
  const rows = Object.entries(HTTP_ERRORS_WHEN).map(([name, when]) => [
    String(HTTP_ERRORS[name as HttpErrorCode].status), code(name), when
  ])
  return markdownTable(['status', 'code', 'when'], rows)
}

/** The generated blocks of docs/protocol.md. */
export const protocolBlocks: readonly DocBlock[] = [
  { page: PAGE, name: 'messages', render: messagesTable },
  { page: PAGE, name: 'heroes', render: heroesTable },
  { page: PAGE, name: 'message-errors', render: messageErrorsTable },
  { page: PAGE, name: 'close-codes', render: closeCodesTable },
  { page: PAGE, name: 'connection-drops', render: dropsTable },
  { page: PAGE, name: 'handshake-refusals', render: gateTable },
  { page: PAGE, name: 'http-errors', render: httpErrorsTable }
]
