// When a session ends by itself, the same for every store: SESSION_ABSOLUTE_TIMEOUT_S after
// login whatever its use, or SESSION_IDLE_TIMEOUT_S after its last touch, whichever comes first.
import type { Session, SessionEndReason } from './session-store.js'

export interface SessionTimeouts {
  /** Milliseconds without a touch before a session ends. */
  readonly idleTimeoutMs: number
  /** Milliseconds after creation when a session ends regardless of use. */
  readonly absoluteTimeoutMs: number
}

/** Why `session` has ended by time at `now` (epoch ms), or undefined while it is live. */
export function expiryOf (
  session: Pick<Session, 'createdAt' | 'lastSeenAt'>,
  now: number,
  timeouts: SessionTimeouts
): SessionEndReason | undefined {
  if (now - session.createdAt >= timeouts.absoluteTimeoutMs) return 'absolute_timeout'
  if (now - session.lastSeenAt >= timeouts.idleTimeoutMs) return 'idle_timeout'
  return undefined
}
