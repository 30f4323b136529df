// GET /livez (the process answers; /healthz is its old name) and GET /readyz on the public port.
// /readyz says only "ready" (200) or "not ready" (503): which check failed (Redis, the hashing
// process, a drain) is for operators, on their own listener (operations/operators-listener.ts).
// The public answer stays because a load balancer may reach only the public port, and the drain
// relies on it; METRICS_PORT is optional. The probes are limited like every route, per client,
// at the global rate (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_S), but counted in this process, not
// in Redis: a probe must see a live process, and a readiness that says so, while Redis is down.
// A probe is logged at debug, not once per probe at info (request-log-lines.ts).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Config } from '../../config/config.js'
import { HttpError } from '../../errors.js'
import { LIVE_ANSWER, type Readiness } from '../../operations/readiness.js'
import { HandshakeLimiter } from '../../ws/handshake-limiter.js'

export interface HealthRoutesOptions {
  readonly config: Pick<Config, 'rateLimit'>
  readonly readiness: Readiness
  /** The clock the probes' budgets run on (ms). */
  readonly now: () => number
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { config, readiness, now }) => {
  // Per-client token buckets: RATE_LIMIT_MAX at once, refilled at RATE_LIMIT_MAX per window.
  const { max, windowMs } = config.rateLimit
  const probes = new HandshakeLimiter(max / (windowMs / 1000), max, now)
  const limitProbes = async (request: FastifyRequest): Promise<void> => {
    const waitMs = probes.take(request.client.key)
    if (waitMs > 0) throw new HttpError('rate_limited', { retryAfterS: Math.ceil(waitMs / 1000) })
  }
  const probe = { config: { rateLimit: false, probe: true }, onRequest: limitProbes } as const
  const live = async (): Promise<typeof LIVE_ANSWER> => LIVE_ANSWER
  app.get('/livez', probe, live)
  app.get('/healthz', probe, live)
  app.get('/readyz', probe, async (_request, reply) => {
    const { status } = readiness.answer()
    return reply.code(status).header('cache-control', 'no-store').send({
      status: status === 200 ? 'ready' : 'not ready'
    })
  })
}
