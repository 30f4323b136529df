// The HTTP plugins, in the order they must run: security headers first (so every answer carries
// them, refusals included), cookies and form bodies, rate limits, then the static assets.
import fastifyCookie from '@fastify/cookie'
import fastifyFormbody from '@fastify/formbody'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config/config.js'
import type { RedisConnection } from '../redis/redis-connection.js'
import type { AllowedOrigins } from './allowed-origins.js'
import { registerRateLimits } from './rate-limits.js'
import { registerSecurityHeaders } from './security-headers.js'
import { registerStaticAssets } from './static-assets.js'

/** `redis`: the shared store the rate limits count in (when REDIS_URL is set). */
export async function registerHttpPlugins (app: FastifyInstance, config: Config, allowedOrigins: AllowedOrigins, redis: RedisConnection | undefined): Promise<void> {
  await registerSecurityHeaders(app, allowedOrigins)
  await app.register(fastifyCookie)
  await app.register(fastifyFormbody)
  await registerRateLimits(app, config, redis)
  await registerStaticAssets(app)
}
