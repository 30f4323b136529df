// The error and not-found handlers. Routes throw HttpError, which already knows its code, status
// and Retry-After. What Fastify itself throws (validation, body limit, media type, a malformed
// body) is mapped here by its error code, explicitly; a route may answer all of those with a code
// of its own (`inputErrorCode` in its config). Anything else is an internal error, logged.
// Whether the answer is a page or JSON comes from the route's config (replies.ts).
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import { HTTP_ERRORS, HttpError, type HttpErrorCode } from '../errors.js'
import type { Pages } from './pages.js'
import { sendError } from './replies.js'

declare module 'fastify' {
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

/** Codes logged as warnings: the service is refusing work it would normally do. */
const WARN_CODES: ReadonlySet<HttpErrorCode> = new Set(['login_busy'])

/** Sets the app's error handler and not-found handler. */
export function registerErrorHandlers (app: FastifyInstance, pages: Pages): void {
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const refusal = error instanceof HttpError ? error : fromFastifyError(error, request)
    logRefusal(request, refusal, error)
    if (refusal.retryAfterS !== undefined) reply.header('retry-after', refusal.retryAfterS)
    return sendError(request, reply, pages, refusal)
  })
  // Unknown paths count against the global limit too, so probing for routes is slowed down.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) => {
    return sendError(request, reply, pages, new HttpError('not_found'))
  })
}

/** The registry error for something Fastify threw; unknown errors are internal errors. */
function fromFastifyError (error: FastifyError, request: FastifyRequest): HttpError {
  const code = FASTIFY_ERRORS.get(error.code)
  if (code !== undefined) {
    const statusCode = error.statusCode ?? HTTP_ERRORS[code].status
    return new HttpError(request.routeOptions.config.inputErrorCode ?? code, { statusCode })
  }
  // A client error Fastify may add in a later version: still the client's, never a 500.
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new HttpError('request_invalid', { statusCode: error.statusCode })
  }
  return new HttpError('internal_error')
}

function logRefusal (request: FastifyRequest, refusal: HttpError, error: Error): void {
  if (refusal.code === 'internal_error') {
    request.log.error({ err: error }, 'request failed')
  } else if (WARN_CODES.has(refusal.code)) {
    request.log.warn({ event: 'request_refused', code: refusal.code, status: refusal.statusCode, ip: request.ip }, refusal.message)
  } else {
    request.log.info({ event: 'request_refused', code: refusal.code, status: refusal.statusCode }, 'request refused')
  }
}
