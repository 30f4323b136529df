// The heartbeat: every HEARTBEAT_INTERVAL_MS each open socket is pinged, and one that did not
// answer the previous round's ping is terminated, so dead peers do not hold slots and memory.
import type { HeroConnection } from './connection.js'

export interface Heartbeat {
  /** One round now (also runs every interval). */
  round (): void
  stop (): void
}

/** Starts the heartbeat over the connections `open()` returns at each round. */
export function startHeartbeat (open: () => Iterable<HeroConnection>, intervalMs: number): Heartbeat {
  const round = (): void => {
    for (const connection of open()) connection.heartbeat()
  }
  const timer = setInterval(round, intervalMs)
  timer.unref()
  return { round, stop: () => clearInterval(timer) }
}
