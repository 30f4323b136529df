// The HTTP plugins, in the order they must run: who the client is (before anything that counts
// or logs it), security headers (so every answer carries them, refusals included), the refusal
// of requests that arrive while the app closes, cookies and form bodies, rate limits, the
// refusal of cross-site requests (an app-wide hook, so it runs before every route's rate limit:
// another site never spends its visitor's budgets), then the static assets.
import fastifyCookie from '@fastify/cookie'
import fastifyFormbody from '@fastify/formbody'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Config } from '../config/config.js'
import type { RateLimitStoreClass } from '../stores/rate-limits/rate-limit-store.js'
import type { AllowedOrigins } from '../edge/allowed-origins.js'
import { clientOf, type Client, type TrustedProxies } from '../edge/client-address.js'
import { refuseCrossSiteRequests } from './cross-site.js'
import { registerRateLimits } from './rate-limits.js'
import { registerSecurityHeaders } from './security-headers.js'
import { refuseWhileClosing } from './shutdown-refusal.js'
import { registerStaticAssets } from './static-assets.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request (behind TRUSTED_PROXIES: from X-Forwarded-For). */
    client: Client
  }
}

export interface HttpPluginsOptions {
  readonly config: Pick<Config, 'rateLimit'>
  readonly allowedOrigins: AllowedOrigins
  readonly trustedProxies: TrustedProxies
  /** The stores; the rate limits count in its rate-limit store (in this process, or shared). */
  readonly stores: { readonly rateLimits: RateLimitStoreClass }
}

export async function registerHttpPlugins (
  app: FastifyInstance,
  { config, allowedOrigins, trustedProxies, stores }: HttpPluginsOptions
): Promise<void> {
  // Worked out once per request, when first asked (by the rate limit, usually).
  const clients = new WeakMap<FastifyRequest, Client>()
  app.decorateRequest('client', {
    getter () {
      let client = clients.get(this)
      if (client === undefined) {
        client = clientOf(this.raw.socket.remoteAddress, this.headers, trustedProxies)
        clients.set(this, client)
      }
      return client
    }
  })
  await registerSecurityHeaders(app, allowedOrigins)
  refuseWhileClosing(app)
  await app.register(fastifyCookie)
  await app.register(fastifyFormbody)
  await registerRateLimits(app, config, stores.rateLimits)
  refuseCrossSiteRequests(app, config, allowedOrigins)
  await registerStaticAssets(app)
}
