// The in-process session store (one instance: `npm start`, tests): sessions in a Map, keyed by
// the SHA-256 of their id, and a sweep timer that ends expired sessions even when nobody asks.
// Its timeouts are measured on this process's monotonic clock (monotonic-clock.ts): a wall clock
// stepped forward logs nobody out, one stepped back keeps no session longer. Its sessions live and
// die with the process, so a clock of the process is the only one they need; what a suspended
// host does not run (CLOCK_MONOTONIC stands still) counts for no session, but no session can be
// used then either.
import { EventEmitter } from 'node:events'
import { monotonicNow } from '../../monotonic-clock.js'
import { expiryOf, type SessionTimeouts } from './session-expiry.js'
import { isSessionIdShape, newSessionId, sessionKeyOf } from './session-ids.js'
import type { Session, SessionEnd, SessionEndReason, SessionStore } from './session-store.js'

export interface MemorySessionStoreOptions {
  /** Clock in milliseconds (default the monotonic clock, monotonic-clock.ts), injected by tests. */
  readonly now?: () => number
  /** How often expired sessions are ended, in ms (default 1000; 0: never, tests call sweep()). */
  readonly sweepIntervalMs?: number
}

interface MutableSession {
  key: string
  username: string
  credential: string
  createdAt: number
  lastSeenAt: number
}

/** Sessions in a Map in this process. */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, MutableSession>()
  readonly #events = new EventEmitter()
  readonly #timeouts: SessionTimeouts
  readonly #now: () => number
  readonly #sweepTimer: NodeJS.Timeout | undefined

  constructor (timeouts: SessionTimeouts, options: MemorySessionStoreOptions = {}) {
    this.#timeouts = timeouts
    this.#now = options.now ?? monotonicNow
    this.#events.setMaxListeners(0)
    const interval = options.sweepIntervalMs ?? 1000
    if (interval > 0) {
      this.#sweepTimer = setInterval(() => { void this.sweep() }, interval)
      this.#sweepTimer.unref()
    }
  }

  async create (username: string, credential: string): Promise<{ id: string, session: Session }> {
    const id = newSessionId()
    const now = this.#now()
    const session: MutableSession = { key: sessionKeyOf(id), username, credential, createdAt: now, lastSeenAt: now }
    this.#sessions.set(session.key, session)
    return { id, session: { ...session } }
  }

  async get (id: string): Promise<Session | undefined> {
    const session = this.#live(id)
    return session === undefined ? undefined : { ...session }
  }

  async touch (id: string): Promise<void> {
    const session = this.#live(id)
    if (session !== undefined) session.lastSeenAt = this.#now()
  }

  async destroy (id: string, reason: SessionEndReason): Promise<void> {
    if (!isSessionIdShape(id)) return
    this.#end(sessionKeyOf(id), reason)
  }

  async destroyKey (key: string, reason: SessionEndReason): Promise<void> {
    this.#end(key, reason)
  }

  async destroyUser (username: string, reason: SessionEndReason): Promise<number> {
    let count = 0
    for (const session of [...this.#sessions.values()]) {
      if (session.username === username) {
        this.#end(session.key, reason)
        count++
      }
    }
    return count
  }

  async listUser (username: string): Promise<readonly Session[]> {
    const now = this.#now()
    return [...this.#sessions.values()]
      .filter((session) => session.username === username && expiryOf(session, now, this.#timeouts) === undefined)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((session) => ({ ...session }))
  }

  async filterLive (keys: readonly string[]): Promise<ReadonlySet<string>> {
    const now = this.#now()
    return new Set(keys.filter((key) => {
      const session = this.#sessions.get(key)
      return session !== undefined && expiryOf(session, now, this.#timeouts) === undefined
    }))
  }

  onEnd (listener: (end: SessionEnd) => void): () => void {
    this.#events.on('end', listener)
    return () => this.#events.off('end', listener)
  }

  async sweep (): Promise<void> {
    const now = this.#now()
    for (const session of [...this.#sessions.values()]) {
      const reason = expiryOf(session, now, this.#timeouts)
      if (reason !== undefined) this.#end(session.key, reason)
    }
  }

  async close (): Promise<void> {
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer)
    this.#events.removeAllListeners()
  }

  #live (id: string): MutableSession | undefined {
    if (!isSessionIdShape(id)) return undefined
    const session = this.#sessions.get(sessionKeyOf(id))
    if (session === undefined) return undefined
    const reason = expiryOf(session, this.#now(), this.#timeouts)
    if (reason !== undefined) {
      this.#end(session.key, reason)
      return undefined
    }
    return session
  }

  #end (key: string, reason: SessionEndReason): void {
    const session = this.#sessions.get(key)
    if (session === undefined) return
    this.#sessions.delete(key)
    this.#events.emit('end', { session: { ...session }, reason, source: 'local' } satisfies SessionEnd)
  }
}
