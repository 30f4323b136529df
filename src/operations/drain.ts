// The drain a load balancer understands, on SIGTERM or SIGINT: /readyz turns 503 at once, so the
// balancer stops sending new clients; DRAIN_DELAY_MS later new upgrades get 503 and the open
// sockets close with 1001 in batches spread over half of what is left of SHUTDOWN_TIMEOUT_MS
// (thousands of clients do not reconnect to the other instances in the same millisecond); a
// quarter more is left for closing handshakes, the rest for closing the app. The process exits
// within SHUTDOWN_TIMEOUT_MS (close-with-grace enforces it).
// The delay is for a balancer, so it is waited only when one can be there: DRAIN_DELAY_MS set, or
// /readyz asked within READINESS_WATCHED_MS. A stop from a terminal, with no one asking /readyz
// and no socket open, does not wait at all.
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config/config.js'
import type { Readiness } from './readiness.js'

/**
 * How recently /readyz must have been asked for readiness to count as watched, in ms: longer than
 * any balancer's probe interval (Kubernetes 10 s by default, HAProxy 2 s, an AWS ALB at most 300 s).
 */
export const READINESS_WATCHED_MS = 10 * 60_000

/** The delay when DRAIN_DELAY_MS is unset and readiness is watched, in ms (at most half of SHUTDOWN_TIMEOUT_MS). */
export const WATCHED_DRAIN_DELAY_MS = 3000

/** The delay this drain waits, in ms, and why. */
export function drainDelay (
  shutdown: Config['shutdown'],
  readiness: Pick<Readiness, 'askedWithin'>
): { delayMs: number, because: 'DRAIN_DELAY_MS' | 'readiness watched' | 'readiness not watched' } {
  if (shutdown.drainDelayMs !== undefined) return { delayMs: shutdown.drainDelayMs, because: 'DRAIN_DELAY_MS' }
  if (!readiness.askedWithin(READINESS_WATCHED_MS)) return { delayMs: 0, because: 'readiness not watched' }
  const delayMs = Math.min(WATCHED_DRAIN_DELAY_MS, Math.floor(shutdown.timeoutMs / 2))
  return { delayMs, because: 'readiness watched' }
}

/** Drains `app`, then closes it. */
export async function drainAndClose (app: FastifyInstance): Promise<void> {
  const { config, readiness, hasher } = app.services
  // The same signal may have reached the hashing child (Ctrl-C signals the whole process group).
  hasher.hashingProcess?.stopping()
  readiness.startDraining()
  const { delayMs, because } = drainDelay(config.shutdown, readiness)
  app.log.info({ event: 'drain_started', delayMs, because }, 'draining: /readyz says 503')
  if (delayMs > 0) await sleep(delayMs)
  const left = config.shutdown.timeoutMs - delayMs
  await app.websocket.drain(Math.floor(left / 2), Math.floor(left / 4))
  await app.close()
}
