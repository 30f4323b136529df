// Server-side sessions behind a small interface, with an in-process default. A session ends
// on logout, idle timeout, absolute timeout or removal of its user, and every end is reported
// to `onEnd` listeners (the WebSocket gate closes that session's sockets).
// Session ids are 256 random bits; the store keeps only their SHA-256 (`key`), so neither a
// store dump nor a log line can be replayed as a cookie.
import { EventEmitter } from 'node:events'
import { createHash, randomBytes } from 'node:crypto'

/** Why a session ended; sent to listeners and logged. */
export type SessionEndReason = 'logout' | 'idle_timeout' | 'absolute_timeout' | 'user_removed' | 'password_changed' | 'replaced'

export interface Session {
  /** SHA-256 of the session id, hex: a non-secret handle for logs and socket bookkeeping. */
  readonly key: string
  readonly username: string
  /** Epoch milliseconds. */
  readonly createdAt: number
  /** Epoch milliseconds of the last touch. */
  readonly lastSeenAt: number
}

export interface SessionEnd {
  readonly session: Session
  readonly reason: SessionEndReason
}

/** What callers need from a session store; a shared one (Redis) can replace the default. */
export interface SessionStore {
  /** Starts a session for `username`; returns the secret id for the cookie and the session. */
  create (username: string): Promise<{ id: string, session: Session }>
  /** The live session for a secret id, or undefined (unknown, malformed or expired: expiry ends it). */
  get (id: string): Promise<Session | undefined>
  /** Marks the session as used now (resets the idle timeout). */
  touch (id: string): Promise<void>
  /** Ends the session with `reason`; no-op when it is not live. */
  destroy (id: string, reason: SessionEndReason): Promise<void>
  /** Ends every session of `username`; returns how many ended. */
  destroyUser (username: string, reason: SessionEndReason): Promise<number>
  /** Calls `listener` for every session that ends. Returns an unsubscribe function. */
  onEnd (listener: (end: SessionEnd) => void): () => void
  close (): Promise<void>
}

export interface SessionTimeouts {
  /** Milliseconds without a touch before a session ends. */
  readonly idleTimeoutMs: number
  /** Milliseconds after creation when a session ends regardless of use. */
  readonly absoluteTimeoutMs: number
}

/** Session ids: 32 bytes from the CSPRNG, base64url (43 characters). */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/

/** True when `id` has the shape of a session id we issue (cheap pre-check before hashing). */
export function isSessionIdShape (id: string): boolean {
  return SESSION_ID_PATTERN.test(id)
}

function keyOf (id: string): string {
  return createHash('sha256').update(id).digest('hex')
}

interface MutableSession {
  key: string
  username: string
  createdAt: number
  lastSeenAt: number
}

/** Sessions in a Map in this process; a sweep timer ends expired sessions even when unused. */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, MutableSession>()
  readonly #events = new EventEmitter()
  readonly #timeouts: SessionTimeouts
  readonly #now: () => number
  readonly #sweepTimer: NodeJS.Timeout | undefined

  /**
   * @param timeouts idle and absolute timeouts in milliseconds
   * @param options.now clock in epoch milliseconds (default Date.now), injected by tests
   * @param options.sweepIntervalMs how often expired sessions are ended (0: never, tests call sweep())
   */
  constructor (timeouts: SessionTimeouts, options: { now?: () => number, sweepIntervalMs?: number } = {}) {
    this.#timeouts = timeouts
    this.#now = options.now ?? Date.now
    this.#events.setMaxListeners(0)
    const interval = options.sweepIntervalMs ?? 1000
    if (interval > 0) {
      this.#sweepTimer = setInterval(() => this.sweep(), interval)
      this.#sweepTimer.unref()
    }
  }

  async create (username: string): Promise<{ id: string, session: Session }> {
    const id = randomBytes(32).toString('base64url')
    const now = this.#now()
    const session: MutableSession = { key: keyOf(id), username, createdAt: now, lastSeenAt: now }
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
    this.#end(keyOf(id), reason)
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

  onEnd (listener: (end: SessionEnd) => void): () => void {
    this.#events.on('end', listener)
    return () => this.#events.off('end', listener)
  }

  /** Ends every expired session now. Runs on the sweep timer; tests call it after moving the clock. */
  sweep (): void {
    const now = this.#now()
    for (const session of [...this.#sessions.values()]) {
      const reason = this.#expiry(session, now)
      if (reason !== undefined) this.#end(session.key, reason)
    }
  }

  /** Number of live (not yet swept) sessions. */
  get size (): number {
    return this.#sessions.size
  }

  async close (): Promise<void> {
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer)
    this.#events.removeAllListeners()
  }

  #live (id: string): MutableSession | undefined {
    if (!isSessionIdShape(id)) return undefined
    const session = this.#sessions.get(keyOf(id))
    if (session === undefined) return undefined
    const reason = this.#expiry(session, this.#now())
    if (reason !== undefined) {
      this.#end(session.key, reason)
      return undefined
    }
    return session
  }

  #expiry (session: MutableSession, now: number): SessionEndReason | undefined {
    if (now - session.createdAt >= this.#timeouts.absoluteTimeoutMs) return 'absolute_timeout'
    if (now - session.lastSeenAt >= this.#timeouts.idleTimeoutMs) return 'idle_timeout'
    return undefined
  }

  #end (key: string, reason: SessionEndReason): void {
    const session = this.#sessions.get(key)
    if (session === undefined) return
    this.#sessions.delete(key)
    this.#events.emit('end', { session: { ...session }, reason } satisfies SessionEnd)
  }
}
