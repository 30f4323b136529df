// HTTP rate limits (@fastify/rate-limit): RATE_LIMIT_MAX requests per IP per window on every
// route, a budget of their own for what may be another site's doing (crossSiteLimit: requests
// refused as cross-site, navigations from elsewhere, and through app.unreadableLimit what reaches
// no route: a URL the router cannot read, a request Node cannot parse), and the login limits, per
// IP and per username and IP (loginIpLimit, loginUserLimit). A refusal is an HttpError carrying
// its Retry-After. The counters are the stores' rate-limit store (stores/rate-limits/): shared by
// every instance with REDIS_URL, where a store that cannot answer makes the request fail with 503
// store_unavailable (fail closed), not pass uncounted; else in this process.
import { createHash } from 'node:crypto'
import fastifyRateLimit, { type RateLimitOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { canonicalUsername } from '../accounts/account-rules.js'
import type { Config } from '../config/config.js'
import { HttpError } from '../errors.js'
import type { RateLimitStoreClass } from '../stores/rate-limits/rate-limit-store.js'
import type { Client } from '../edge/client-address.js'

/** Seconds until a limit with `ttlMs` left lets the next request through (at least 1). */
function retryAfterS (ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000))
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Counts one request of `client` in the cross-site budget, for answers written outside
     * Fastify's routing (a URL the router cannot read, a request Node could not parse): a page
     * elsewhere can make its visitor send those (an image whose URL is 20 KB long, or `/%`), and
     * we cannot read where they came from, so they never spend the visitor's own budget.
     * @returns undefined within the budget; past it, the seconds to wait (Retry-After)
     */
    unreadableLimit: (client: Client) => Promise<number | undefined>
  }
  interface FastifyRequest {
    /** A navigation from another site: counted in the cross-site budget, not the visitor's. */
    fromElsewhere: boolean
  }
}

/**
 * Registers the global per-IP limit; routes may set their own in `config.rateLimit`.
 * @param store the counters (the plugin's `store` option), from the stores
 */
export async function registerRateLimits (
  app: FastifyInstance,
  config: Pick<Config, 'rateLimit'>,
  store: RateLimitStoreClass
): Promise<void> {
  await app.register(fastifyRateLimit, {
    // The plugin's documented custom store: a class it builds with its settings.
    store: store as unknown as NonNullable<RateLimitOptions['store']>,
    global: true,
    // The client's key (client-address.ts), so proxies and IPv6 /64s count as the other limits do.
    keyGenerator: (request) => request.client.key,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    errorResponseBuilder: (_request, context) =>
      new HttpError('rate_limited', { retryAfterS: retryAfterS(context.ttl) }),
    // A navigation from another site has spent the cross-site budget instead (cross-site.ts).
    allowList: (request) => request.fromElsewhere
  })
  app.decorateRequest('fromElsewhere', false)
  // The check reads only what the key generator reads (the client) and the route's config, which
  // such a request does not have.
  const check = app.createRateLimit(crossSiteLimitOptions(config))
  app.decorate('unreadableLimit', async (client: Client) => {
    const result = await check({ client, routeOptions: { config: {} } } as unknown as FastifyRequest)
    return result.isAllowed || !result.isExceeded ? undefined : retryAfterS(result.ttl)
  })
}

/** The cross-site budget: RATE_LIMIT_CROSS_SITE_MAX per RATE_LIMIT_WINDOW_S, per client. */
function crossSiteLimitOptions (
  config: Pick<Config, 'rateLimit'>
): RateLimitOptions & { keyGenerator: (request: FastifyRequest) => string } {
  return {
    max: config.rateLimit.crossSiteMax,
    timeWindow: config.rateLimit.windowMs,
    keyGenerator: (request) => `cross-site:${request.client.key}`,
    allowList: () => false
  }
}

/** The per-IP login limit, as a preHandler (LOGIN_RATE_IP_MAX per LOGIN_RATE_WINDOW_S). */
export function loginIpLimit (
  app: FastifyInstance,
  config: Pick<Config, 'loginRateLimit'>
): (request: FastifyRequest) => Promise<void> {
  return limiter(app.createRateLimit({
    max: config.loginRateLimit.ipMax,
    timeWindow: config.loginRateLimit.windowMs,
    keyGenerator: (request) => `login-ip:${request.client.key}`
  }))
}

/** A hook from a createRateLimit checker: past the limit, HttpError `code` (default rate_limited). */
function limiter (
  check: ReturnType<FastifyInstance['createRateLimit']>,
  code: 'rate_limited' | 'cross_site_requests_limited' = 'rate_limited'
): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const result = await check(request)
    if (result.isAllowed || !result.isExceeded) return
    throw new HttpError(code, { retryAfterS: retryAfterS(result.ttl) })
  }
}

/**
 * What the per-username limit counts a name by: its canonical form (`ALICE` spends alice's budget),
 * hashed, so what someone typed into the username field (a password, often) is not kept in plain
 * in the counters' keys (in Redis, shared). Unkeyed, as every instance must count the same key.
 */
function loginNameKey (username: string): string {
  return createHash('sha256').update(canonicalUsername(username)).digest('base64url').slice(0, 22)
}

/**
 * The budget requests refused as cross-site spend instead of the visitor's own
 * (RATE_LIMIT_CROSS_SITE_MAX per RATE_LIMIT_WINDOW_S, per client, shared in Redis like the
 * others): past it, HttpError cross_site_requests_limited (429).
 */
export function crossSiteLimit (
  app: FastifyInstance,
  config: Pick<Config, 'rateLimit'>
): (request: FastifyRequest) => Promise<void> {
  return limiter(app.createRateLimit(crossSiteLimitOptions(config)), 'cross_site_requests_limited')
}

/** The per username-and-IP login limit: a check before the password is checked, a count after it failed. */
export interface LoginUserLimit {
  /** A preHandler: past LOGIN_RATE_USER_MAX failures in the window, HttpError login_attempts_limited (429). */
  readonly check: (request: FastifyRequest) => Promise<void>
  /** Counts one failed login of the request's username from its client. */
  readonly countFailure: (request: FastifyRequest) => Promise<void>
}

/**
 * The per username-and-IP login limit: guessing one user's password is slowed down, while an
 * attacker elsewhere cannot lock the real user out. It counts failed logins only (as OWASP's
 * lockout advice counts them): the check before argon2 reads the count without adding to it, and
 * the route counts a failure once the password did not match, so a person who logs in and out
 * again never spends it. Successes need no budget of their own: each one needed the password, and
 * what bounds the hashing cost is the per-IP limit, which counts every attempt before argon2 (so
 * parallel guesses that all passed this check before any of them was counted are still capped by
 * it). createRateLimit, not rateLimit(): the plugin runs one rateLimit hook per request, so a
 * second one after the per-IP limit would be skipped.
 * @param usernameOf the username of a request whose body has been validated
 */
export function loginUserLimit (
  app: FastifyInstance,
  config: Pick<Config, 'loginRateLimit'>,
  usernameOf: (request: FastifyRequest) => string
): LoginUserLimit {
  const limit = app.createRateLimit({
    max: config.loginRateLimit.userMax,
    timeWindow: config.loginRateLimit.windowMs,
    keyGenerator: (request) => `login:${request.client.key}:${loginNameKey(usernameOf(request))}`
  })
  return {
    check: async (request) => {
      const result = await limit(request, { increment: false })
      // Read, not counted: the next attempt is refused once the failures so far reach the limit.
      if (result.isAllowed || result.remaining > 0) return
      throw new HttpError('login_attempts_limited', { retryAfterS: retryAfterS(result.ttl) })
    },
    countFailure: async (request) => {
      await limit(request)
    }
  }
}
