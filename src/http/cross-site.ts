// Requests from other sites are refused before they cost the visitor anything. A page elsewhere
// can make its visitor's browser send requests here (form posts, fetches, images, frames); were
// they counted in the visitor's budgets, a few posts a second would get the visitor's own logins
// and pages answered 429, and everyone's behind the same NAT. So, before the global and the login
// limits (an onRequest hook of the app, which runs before every route's own), a request whose
// Fetch Metadata says it came from another site (`Sec-Fetch-Site` other than `same-origin` or
// `none`), or whose `Origin` is not one of ALLOWED_ORIGINS, is answered 403 cross_site_request,
// unless it is a top-level GET navigation (a link to us from elsewhere). Those refusals spend a
// budget of their own (RATE_LIMIT_CROSS_SITE_MAX), as the gate's refused handshakes do; past
// it they are answered 429 cross_site_requests_limited, logged at debug only. A navigation from
// elsewhere is answered, but it spends that budget too, not the visitor's: a page elsewhere can
// navigate a window it opened in a loop.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HttpError } from '../errors.js'
import { bounded } from '../logging/bounded.js'
import type { Config } from '../config/config.js'
import type { AllowedOrigins } from '../edge/allowed-origins.js'
import { crossSiteLimit } from './rate-limits.js'

/** What Sec-Fetch-Site says of a request from our own pages, or one a person started (typed, bookmarked). */
const OWN_SITES: ReadonlySet<string> = new Set(['same-origin', 'none'])

/** A header's one value (a repeated header is not one value). */
function single (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value
}

/** A GET that loads a whole page in the browser's window: following a link here is no attack. */
function isTopLevelNavigation (request: FastifyRequest): boolean {
  const dest = single(request.headers['sec-fetch-dest'])
  return request.method === 'GET' && single(request.headers['sec-fetch-mode']) === 'navigate' &&
    (dest === undefined || dest === 'document')
}

/**
 * What the request's Fetch Metadata and Origin say of where it came from, bounded for the log, when that is
 * elsewhere.
 */
function elsewhere (
  request: FastifyRequest,
  allowedOrigins: AllowedOrigins
): Record<string, string | undefined> | undefined {
  const site = single(request.headers['sec-fetch-site'])
  const origin = single(request.headers.origin)
  const fromElsewhere = (site !== undefined && !OWN_SITES.has(site)) ||
    (origin !== undefined && !allowedOrigins.has(origin))
  return fromElsewhere ? { origin: bounded(origin), site: bounded(site) } : undefined
}

/**
 * Why `request` came from another site (the headers that say so, bounded for the log), or
 * undefined when nothing says it did. A client that sends no Fetch Metadata and no Origin (an
 * old browser's GET, curl) says nothing: it meets the ordinary limits, and form posts still need
 * an allowed Origin (same-origin.ts).
 */
export function crossSiteEvidence (
  request: FastifyRequest,
  allowedOrigins: AllowedOrigins
): Record<string, string | undefined> | undefined {
  return isTopLevelNavigation(request) ? undefined : elsewhere(request, allowedOrigins)
}

/** Adds the app-wide hook that refuses cross-site requests; call after registerRateLimits. */
export function refuseCrossSiteRequests (
  app: FastifyInstance,
  config: Pick<Config, 'rateLimit'>,
  allowedOrigins: AllowedOrigins
): void {
  const spendCrossSiteBudget = crossSiteLimit(app, config)
  app.addHook('onRequest', async (request) => {
    if (elsewhere(request, allowedOrigins) === undefined) return
    await spendCrossSiteBudget(request)
    const evidence = crossSiteEvidence(request, allowedOrigins)
    if (evidence !== undefined) throw new HttpError('cross_site_request', { log: evidence })
    // A navigation from elsewhere: answered, and not counted again in the visitor's global limit.
    request.fromElsewhere = true
  })
}
