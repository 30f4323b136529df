// GET /livez (the process answers; /healthz is its old name) and GET /readyz (200 when this
// instance should get new clients: not draining, the hashing process running, Redis answering
// when configured; 503 otherwise, saying which check failed). Not rate-limited, and they ask no
// store: a probe must see a live process even while Redis is down.
import type { FastifyPluginAsync } from 'fastify'
import { LIVE_ANSWER, type Readiness } from '../../operations/readiness.js'

export interface HealthRoutesOptions {
  readonly readiness: Readiness
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { readiness }) => {
  const live = async (): Promise<typeof LIVE_ANSWER> => LIVE_ANSWER
  app.get('/livez', { config: { rateLimit: false } }, live)
  app.get('/healthz', { config: { rateLimit: false } }, live)
  app.get('/readyz', { config: { rateLimit: false } }, async (_request, reply) => {
    const { status, body } = readiness.answer()
    return reply.code(status).header('cache-control', 'no-store').send(body)
  })
}
