// The safety net under revocation: every SESSION_RECHECK_INTERVAL_MS, and at once after every
// reconnect to a shared store, this instance asks the store which of its open sockets' sessions
// are still live, and the users store whether their accounts still hold their passwords, and
// closes the others with 4401. A session end it never heard of (a lost message, a store restarted
// empty, an account changed while the store was down) therefore closes its sockets within one
// interval. While the store cannot answer, sockets are kept: established sockets are served
// through an outage.
import type { FastifyBaseLogger } from 'fastify'
import type { SessionEndReason, SessionStore } from '../stores/sessions/session-store.js'

/** Sessions asked about in one call. */
const BATCH = 1000

export interface SessionRecheckOptions {
  readonly sessions: SessionStore
  readonly intervalMs: number
  /** The session keys of the open sockets now. */
  readonly openSessionKeys: () => ReadonlySet<string>
  /** Closes the sockets of a session that is gone ('not_live') or whose account changed (the reason). */
  readonly closeSession: (sessionKey: string, reason: 'not_live' | SessionEndReason) => void
  /** Why a live session's account no longer holds, or undefined. */
  readonly staleAccount: (sessionKey: string) => Promise<SessionEndReason | undefined>
  readonly log: FastifyBaseLogger
  /** The shared store's reconnects, if there is one. */
  readonly storeEvents: { onReconnect (listener: () => void): () => void } | undefined
}

export interface SessionRecheck {
  /** One round now; resolves when it is done. */
  run (): Promise<void>
  stop (): void
}

export function startSessionRecheck (options: SessionRecheckOptions): SessionRecheck {
  let running: Promise<void> | undefined
  let failing = false
  const round = async (): Promise<void> => {
    const keys = [...options.openSessionKeys()]
    try {
      for (let i = 0; i < keys.length; i += BATCH) {
        const batch = keys.slice(i, i + BATCH)
        const live = await options.sessions.filterLive(batch)
        for (const key of batch) {
          const stale = live.has(key) ? await options.staleAccount(key) : 'not_live'
          if (stale !== undefined) options.closeSession(key, stale)
        }
      }
      if (failing) options.log.info({ event: 'session_recheck_resumed' }, 'session re-checks work again')
      failing = false
    } catch (err) {
      if (!failing) {
        options.log.warn(
          { event: 'session_recheck_failed', err: { message: (err as Error).message } },
          'cannot re-check sessions; open sockets are kept until the store answers'
        )
      }
      failing = true
    }
  }
  let again = false
  // One round at a time; a request during a round runs one more after it.
  const run = (): Promise<void> => {
    if (running !== undefined) {
      again = true
      return running
    }
    running = (async () => {
      do {
        again = false
        await round()
      } while (again)
    })().finally(() => { running = undefined })
    return running
  }
  const timer = setInterval(() => { void run() }, options.intervalMs)
  timer.unref()
  const offReconnect = options.storeEvents?.onReconnect(() => { void run() })
  return {
    run,
    stop: () => {
      clearInterval(timer)
      offReconnect?.()
    }
  }
}
