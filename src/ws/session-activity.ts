// Activity on a socket keeps its session alive, without a store write per message: each session
// is touched at most once per TOUCH_INTERVAL_MS from this instance, however many of its sockets
// are busy. A session in use therefore expires at most that much earlier than its idle timeout.
// The throttle runs on the monotonic clock: with a wall clock stepped back an hour, a busy socket
// would otherwise touch its session no more for an hour, and the session would idle out.
import type { FastifyBaseLogger } from 'fastify'
import type { SessionStore } from '../stores/sessions/session-store.js'

/** Touch a session at most this often from one instance (ms). */
const TOUCH_INTERVAL_MS = 15_000

export class SessionActivity {
  readonly #sessions: SessionStore
  readonly #now: () => number
  readonly #log: FastifyBaseLogger
  /** When this instance last touched each session (by key), ms on the injected (monotonic) clock. */
  readonly #lastTouch = new Map<string, number>()

  constructor (sessions: SessionStore, now: () => number, log: FastifyBaseLogger) {
    this.#sessions = sessions
    this.#now = now
    this.#log = log
  }

  /** A socket's session was opened or used now; the first use counts from the handshake. */
  opened (sessionKey: string): void {
    if (!this.#lastTouch.has(sessionKey)) this.#lastTouch.set(sessionKey, this.#now())
  }

  /** A socket of the session `sessionId` (key `sessionKey`) was used now. */
  used (sessionId: string, sessionKey: string): void {
    const now = this.#now()
    if (now - (this.#lastTouch.get(sessionKey) ?? -Infinity) < TOUCH_INTERVAL_MS) return
    this.#lastTouch.set(sessionKey, now)
    this.#sessions.touch(sessionId).catch((err: unknown) => {
      this.#log.warn(
        { event: 'session_touch_failed', err: { message: (err as Error).message } },
        'could not record activity on a session; it keeps ageing'
      )
    })
  }

  /** Forgets sessions that have no open socket here any more. */
  forgetAllBut (openKeys: ReadonlySet<string>): void {
    for (const key of this.#lastTouch.keys()) if (!openKeys.has(key)) this.#lastTouch.delete(key)
  }
}
