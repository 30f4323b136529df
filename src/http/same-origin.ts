// The check every state-changing form post passes: it must come from one of our own pages. The
// Origin must be exactly one of the allowed origins, and Sec-Fetch-Site, when the browser sends
// it, must be same-origin. This is what stops login CSRF and forced logouts.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { HttpError } from '../errors.js'
import type { AllowedOrigins } from './allowed-origins.js'
import type { Pages } from './pages.js'
import { sendError } from './replies.js'

/** An onRequest hook that answers 403 cross_site_request to a post from anywhere else. */
export function sameOriginOnly (allowedOrigins: AllowedOrigins, pages: Pages): onRequestAsyncHookHandler {
  return async function requireSameOrigin (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const site = request.headers['sec-fetch-site']
    if ((site !== undefined && site !== 'same-origin') || !allowedOrigins.has(request.headers.origin)) {
      request.log.warn({ event: 'cross_site_refused', ip: request.ip, site }, 'cross-site request refused')
      await sendError(request, reply, pages, new HttpError('cross_site_request'))
    }
  }
}
