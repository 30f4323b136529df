// GET /healthz: the process answers. Not rate-limited, and it asks no store: a probe must see a
// live process even while Redis is down.
import type { FastifyPluginAsync } from 'fastify'

export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { config: { rateLimit: false } }, async () => ({ status: 'ok' }))
}
