// The check every state-changing form post passes: it must come from one of our own pages. The
// Origin must be exactly one of the allowed origins, and Sec-Fetch-Site, when the browser sends
// it, must be same-origin. This is what stops login CSRF and forced logouts.
import type { FastifyReply, FastifyRequest, preParsingAsyncHookHandler } from 'fastify'
import { HttpError } from '../errors.js'
import { bounded } from '../logging/bounded.js'
import type { AllowedOrigins } from '../edge/allowed-origins.js'

/**
 * A preParsing hook that refuses (403 cross_site_request) a post from anywhere else. What a
 * browser says came from another site was refused already (cross-site.ts, before any budget);
 * what reaches this check (no Origin at all, `Sec-Fetch-Site: none`) is no browser's cross-site
 * post, so the global limit (onRequest) has counted it: these refusals are limited too.
 */
export function sameOriginOnly (allowedOrigins: AllowedOrigins): preParsingAsyncHookHandler {
  return async function requireSameOrigin (request: FastifyRequest, _reply: FastifyReply, payload) {
    const site = request.headers['sec-fetch-site']
    const origin = request.headers.origin
    if ((site !== undefined && site !== 'same-origin') || !allowedOrigins.has(origin)) {
      throw new HttpError(
        'cross_site_request',
        { log: { origin: bounded(origin), site: bounded(typeof site === 'string' ? site : undefined) } }
      )
    }
    return payload
  }
}
