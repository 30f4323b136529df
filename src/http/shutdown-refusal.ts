// Requests that arrive while the app closes (after the drain, on a connection still open) are
// answered 503 shutting_down by us, as an app-wide onRequest hook, instead of by Fastify's own
// bare 503 (return503OnClosing, which no header, limit or log line would see): they carry the
// fixed security headers and a Retry-After, and are logged once like every refusal.
import type { FastifyInstance } from 'fastify'
import { HttpError } from '../errors.js'

/** Seconds a request refused while closing is told to wait (another instance will answer). */
const SHUTTING_DOWN_RETRY_AFTER_S = 5

/** Adds the hooks; the app must be built with `return503OnClosing: false`. */
export function refuseWhileClosing (app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onRequest', async () => {
    if (closing) throw new HttpError('shutting_down', { retryAfterS: SHUTTING_DOWN_RETRY_AFTER_S })
  })
}
