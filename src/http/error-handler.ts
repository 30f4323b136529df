// The error and not-found handlers. Routes throw HttpError, which already knows its code, status
// and Retry-After. What Fastify itself throws (validation, body limit, media type, a malformed
// body) is mapped here by its error code, explicitly; a route may answer all of those with a code
// of its own (`inputErrorCode` in its config). Anything else is an internal error, logged.
// Whether the answer is a page or JSON comes from the route's config (replies.ts).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HTTP_ERRORS, HttpError, STORE_UNAVAILABLE_RETRY_AFTER_S, StoreUnavailableError, type HttpErrorCode } from '../errors.js'
import type { Pages } from './pages.js'
import { sendError } from './replies.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The registry code this request was refused with, once the error handler answered it. */
    refusal: HttpErrorCode | null
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

/** Fastify's frameworkErrors option: a URL it cannot even route (`/%`) gets our JSON 400 too. */
export function frameworkErrors (pages: Pages): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const refusal = new HttpError('request_invalid')
    logRefusal(request, refusal, error)
    sendError(request, reply, pages, refusal)
  }
}

/** Sets the app's error handler and not-found handler. */
export function registerErrorHandlers (app: FastifyInstance, pages: Pages): void {
  app.decorateRequest('refusal', null)
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const refusal = error instanceof HttpError ? error : fromOtherError(error, request)
    request.refusal = refusal.code
    logRefusal(request, refusal, error)
    if (refusal.retryAfterS !== undefined) reply.header('retry-after', refusal.retryAfterS)
    return sendError(request, reply, pages, refusal)
  })
  // Unknown paths count against the global limit too, so probing for routes is slowed down.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) => {
    return sendError(request, reply, pages, new HttpError('not_found'))
  })
}

/** The registry error for what a store or Fastify threw; unknown errors are internal errors. */
function fromOtherError (error: FastifyError | StoreUnavailableError, request: FastifyRequest): HttpError {
  if (error instanceof StoreUnavailableError) return new HttpError('store_unavailable', { retryAfterS: STORE_UNAVAILABLE_RETRY_AFTER_S, cause: error })
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

function logRefusal (request: FastifyRequest, refusal: HttpError, error: Error): void {
  if (refusal.code === 'internal_error') {
    request.log.error({ err: error }, 'request failed')
  } else if (WARN_CODES.has(refusal.code)) {
    const detail = refusal.cause instanceof Error ? { detail: refusal.cause.message } : {}
    request.log.warn({ event: 'request_refused', code: refusal.code, status: refusal.statusCode, ip: request.client.address, ...refusal.log, ...detail }, WARN_CODES.get(refusal.code))
  } else {
    request.log.info({ event: 'request_refused', code: refusal.code, status: refusal.statusCode, ...refusal.log }, 'request refused')
  }
}
