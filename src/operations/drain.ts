// The drain a load balancer understands, on SIGTERM: /readyz turns 503 at once, so the balancer
// stops sending new clients; DRAIN_DELAY_MS later new upgrades get 503 and the open sockets close
// with 1001 in batches spread over half of what is left of SHUTDOWN_TIMEOUT_MS (thousands of
// clients do not reconnect to the other instances in the same millisecond); a quarter more is
// left for closing handshakes, the rest for closing the app. The process exits within
// SHUTDOWN_TIMEOUT_MS (close-with-grace enforces it).
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'

/** Drains `app`, then closes it. */
export async function drainAndClose (app: FastifyInstance): Promise<void> {
  const { config, readiness } = app.services
  readiness.startDraining()
  app.log.info({ event: 'drain_started', delayMs: config.shutdown.drainDelayMs }, 'draining: /readyz says 503')
  await sleep(config.shutdown.drainDelayMs)
  const left = config.shutdown.timeoutMs - config.shutdown.drainDelayMs
  await app.websocket.drain(Math.floor(left / 2), Math.floor(left / 4))
  await app.close()
}
