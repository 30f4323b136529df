// The clock that measures elapsed time in this process: monotonic (performance.now(), which no
// step of the wall clock moves: an NTP step, a VM resuming, an operator's `date -s`), counted from
// the wall time at start-up so its readings still look like epoch milliseconds. Every rate limit,
// token bucket, throttle and in-process expiry reads it (injected, so tests move their own clock);
// what several instances must agree on reads Redis's TIME instead (stores/sessions/redis-session-scripts.ts).
// Timers (setInterval, setTimeout) already run on the monotonic clock in Node.

/**
 * Now, in milliseconds: the wall time when this process started plus the monotonic time since.
 * Never goes back and never jumps; drifts from the wall clock by however far that was stepped.
 */
export function monotonicNow (): number {
  return performance.timeOrigin + performance.now()
}
