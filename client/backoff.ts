// Full-jitter exponential backoff for reconnecting: retry n waits a random time between 0 and
// min(maxMs, baseMs * 2^n), so the clients of a restarted server do not all return at once.

/** Backoff settings, in milliseconds. */
export interface BackoffOptions {
  readonly baseMs: number
  readonly maxMs: number
}

/** Reconnect backoff: 500 ms doubling per retry, capped at 15 s. */
export const RECONNECT_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 500, maxMs: 15_000 })

/**
 * How long to wait before retry number `retry` (0 for the first), in milliseconds.
 * @param random a source in [0, 1) (default Math.random); tests pass a fixed one
 */
export function backoffDelay (
  retry: number,
  options: BackoffOptions = RECONNECT_BACKOFF,
  random: () => number = Math.random
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(retry, 30))
  return Math.floor(random() * ceiling)
}
