// The error and not-found handlers. Routes throw HttpError, which already knows its code, status
// and Retry-After. What Fastify itself throws (validation, body limit, media type, a malformed
// body) is mapped here by its error code, explicitly; a route may answer all of those with a code
// of its own (`inputErrorCode` in its config). Anything else is an internal error, logged.
// Whether the answer is a page or JSON comes from the route's config (replies.ts).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  HTTP_ERRORS, HttpError, STORE_UNAVAILABLE_RETRY_AFTER_S, StoreUnavailableError, type HttpErrorCode
} from '../errors.js'
import type { Pages } from './pages.js'
import { bounded } from '../logging/bounded.js'
import { clientOf, type Client, type TrustedProxies } from '../edge/client-address.js'
import { RAW_ANSWER_HEADERS } from '../edge/fixed-headers.js'
import { sendError } from './replies.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The registry code this request was refused with, once the error handler answered it. */
    refusal: HttpErrorCode | null
    /** The account this request is known to act for (its session was found), for its log lines. */
    username: string | undefined
  }
  interface FastifyContextConfig {
    /** The code this route answers bad input with (invalid, too large, wrong media type), keeping the status. */
    inputErrorCode?: HttpErrorCode
  }
}

/** Fastify's own client errors, by their error code. */
const FASTIFY_ERRORS: ReadonlyMap<string, HttpErrorCode> = new Map([
  ['FST_ERR_VALIDATION', 'request_invalid'],
  ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'request_invalid'],
  ['FST_ERR_CTP_EMPTY_JSON_BODY', 'request_invalid'],
  ['FST_ERR_CTP_INVALID_JSON_BODY', 'request_invalid'],
  ['FST_ERR_CTP_BODY_TOO_LARGE', 'request_too_large'],
  ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 'unsupported_media_type']
])

/** Client errors plugins report by status alone (@fastify/static for a directory, a path out of
 * its root, or a failed If-Match): a 403 is answered as not found, so it tells nothing. */
const CLIENT_STATUSES: ReadonlyMap<number, HttpErrorCode> = new Map<number, HttpErrorCode>([
  [403, 'not_found'],
  [404, 'not_found'],
  [412, 'precondition_failed']
])

/** Codes logged as warnings: the service is refusing work it would normally do. */
const WARN_CODES: ReadonlyMap<HttpErrorCode, string> = new Map<HttpErrorCode, string>([
  ['cross_site_request', 'cross-site request refused'],
  ['login_busy', 'login refused: too many password checks waiting'],
  ['store_unavailable', 'request refused: the session store cannot be reached']
])

/**
 * Fastify's frameworkErrors option: a URL the router cannot even read (`/%`) is answered before
 * every hook, so what the hooks give every other request is given here: the fixed security
 * headers, a count in the cross-site budget (past it: 429: a page elsewhere can make its visitor
 * ask for `/%`, so never the visitor's own budget), and one log line naming the client.
 */
export function frameworkErrors (pages: Pages, trustedProxies: TrustedProxies): (
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply
) => void {
  return (error, request, reply) => {
    reply.headers(RAW_ANSWER_HEADERS)
    // Fastify builds this request without the app's decorators: who the client is is asked here.
    const client = clientOf(request.raw.socket.remoteAddress, request.headers, trustedProxies)
    request.server.unreadableLimit(client).then(
      (retryAfterS) => retryAfterS === undefined
        ? new HttpError('request_invalid')
        : new HttpError('rate_limited', { retryAfterS }),
      (err: unknown) => fromOtherError(err as StoreUnavailableError, request)
    ).then((refusal) => {
      refuse(request, reply, pages, refusal, error, client)
    }).catch((err: unknown) => {
      request.log.error({ err }, 'request failed')
      reply.raw.destroy()
    })
  }
}

/** Logs `refusal` once (naming the client), and answers it with its status and Retry-After. */
function refuse (
  request: FastifyRequest,
  reply: FastifyReply,
  pages: Pages,
  refusal: HttpError,
  error: Error,
  client: Client = request.client
): FastifyReply {
  request.refusal = refusal.code
  logRefusal(request, refusal, error, client)
  if (refusal.retryAfterS !== undefined) reply.header('retry-after', refusal.retryAfterS)
  return sendError(request, reply, pages, refusal)
}

/** Sets the app's error handler and not-found handler. */
export function registerErrorHandlers (app: FastifyInstance, pages: Pages): void {
  app.decorateRequest('refusal', null)
  app.decorateRequest('username', undefined)
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const refusal = error instanceof HttpError ? error : fromOtherError(error, request)
    return refuse(request, reply, pages, refusal, error)
  })
  // Unknown paths count against the global limit too, so probing for routes is slowed down.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) => {
    return sendError(request, reply, pages, new HttpError('not_found'))
  })
}

/** The registry error for what a store or Fastify threw; unknown errors are internal errors. */
function fromOtherError (error: FastifyError | StoreUnavailableError, request: FastifyRequest): HttpError {
  if (error instanceof StoreUnavailableError) {
    return new HttpError('store_unavailable', { retryAfterS: STORE_UNAVAILABLE_RETRY_AFTER_S, cause: error })
  }
  const code = FASTIFY_ERRORS.get(error.code)
  if (code !== undefined) {
    const statusCode = error.statusCode ?? HTTP_ERRORS[code].status
    return new HttpError(request.routeOptions?.config?.inputErrorCode ?? code, { statusCode })
  }
  const byStatus = error.statusCode === undefined ? undefined : CLIENT_STATUSES.get(error.statusCode)
  if (byStatus !== undefined) return new HttpError(byStatus)
  // A client error a later Fastify or plugin may add: still the client's, never a 500.
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new HttpError('request_invalid', { statusCode: error.statusCode })
  }
  return new HttpError('internal_error')
}

/** Refusals logged at debug only: past a budget of refusals, a flood must not flood the log. */
const DEBUG_CODES: ReadonlySet<HttpErrorCode> = new Set<HttpErrorCode>(['cross_site_requests_limited'])

/**
 * The refusal's one log line (the request writes no other at info): the client as the limits see
 * it (behind TRUSTED_PROXIES, the forwarded client), the user when the request is known to act
 * for one, the method and URL bounded.
 */
function logRefusal (request: FastifyRequest, refusal: HttpError, error: Error, client: Client): void {
  if (refusal.code === 'internal_error') {
    request.log.error({ err: error, ...who(request, client) }, 'request failed')
    return
  }
  const detail = WARN_CODES.has(refusal.code) && refusal.cause instanceof Error
    ? { detail: bounded(refusal.cause.message) }
    : {}
  const line = {
    event: 'request_refused',
    code: refusal.code,
    status: refusal.statusCode,
    ...who(request, client),
    ...refusal.log,
    ...detail
  }
  if (DEBUG_CODES.has(refusal.code)) request.log.debug(line, 'request refused')
  else if (WARN_CODES.has(refusal.code)) request.log.warn(line, WARN_CODES.get(refusal.code))
  else request.log.info(line, 'request refused')
}

/** Who sent a request, and what it asked, for its refusal line. */
function who (request: FastifyRequest, client: Client): Record<string, unknown> {
  return {
    ip: client.address,
    ...(request.username === undefined ? {} : { username: bounded(request.username) }),
    method: bounded(request.method, 16),
    url: bounded(request.url)
  }
}
