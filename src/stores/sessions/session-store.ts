// The session store interface. Sessions live on the server; the browser holds only the secret
// id (session-ids.ts), and a store keeps only its SHA-256. A session ends on logout, idle or
// absolute timeout (session-expiry.ts), a new login replacing it, or a change to its user; every
// end reaches `onEnd` listeners, which close that session's sockets.
//
// Implementations: memory-session-store.ts (one process, the default) and redis-session-store.ts
// (several instances on one Redis, with its Lua scripts in redis-session-scripts.ts). Each runs
// the contract suite test/stores/sessions/store-contract.ts.
//
// Failure: every method may be asynchronous and may reject (a shared store that is slow or
// unreachable). Callers fail closed: a login whose `create` rejects sets no cookie, a handshake
// or a page whose `get` rejects is refused, never admitted. A rejected `touch` is logged and
// the session simply ages; a rejected `destroy` (logout) is reported to the person, since their
// session may still be live.

/** Why a session ended; sent to listeners, logged, and counted (hero_socket_sessions_ended_total). */
export const SESSION_END_REASONS = Object.freeze(
  [
    'logout', 'idle_timeout', 'absolute_timeout', 'user_removed', 'password_changed', 'replaced', 'session_limit',
    'account_disabled', 'password_expired'
  ] as const
)
export type SessionEndReason = typeof SESSION_END_REASONS[number]

export interface Session {
  /** SHA-256 of the session id, hex: a non-secret handle for logs and socket bookkeeping. */
  readonly key: string
  readonly username: string
  /** The credential tag of the account when the session began (accounts/users-store.ts credentialTag). */
  readonly credential: string
  /** Epoch milliseconds, on the store's own clock (Redis's TIME; in process, a monotonic clock). */
  readonly createdAt: number
  /** Epoch milliseconds of the last touch, on the store's clock (a store may record touches coarsely). */
  readonly lastSeenAt: number
}

export interface SessionEnd {
  readonly session: Session
  readonly reason: SessionEndReason
  /** 'local': this instance ended it; 'publish': another instance did, and said so. */
  readonly source: 'local' | 'publish'
}

/** What callers need from a session store. */
export interface SessionStore {
  /**
   * Starts a session for `username`, whose account's credential tag is `credential`; resolves
   * the secret id (for the cookie) and the session.
   */
  create (username: string, credential: string): Promise<{ id: string, session: Session }>
  /**
   * The live session for a secret id, or undefined: unknown, malformed, or expired (an expired
   * session found here is ended, and its end reported).
   */
  get (id: string): Promise<Session | undefined>
  /** Marks the session as used now (its idle timeout starts again); no-op when it is not live. */
  touch (id: string): Promise<void>
  /** Ends the session with `reason`; no-op when it is not live. */
  destroy (id: string, reason: SessionEndReason): Promise<void>
  /** Ends the session whose key (not id) is `key`, with `reason`; no-op when it is not live. */
  destroyKey (key: string, reason: SessionEndReason): Promise<void>
  /** Ends every live session of `username`; resolves how many ended. */
  destroyUser (username: string, reason: SessionEndReason): Promise<number>
  /** The live sessions of `username`, oldest first. */
  listUser (username: string): Promise<readonly Session[]>
  /**
   * Which of these session keys name live sessions, in one call: the safety net that closes the
   * sockets of sessions whose end this instance never heard of (a lost message, a store restarted
   * empty). A key that is not live is gone for good.
   */
  filterLive (keys: readonly string[]): Promise<ReadonlySet<string>>
  /**
   * Calls `listener` once for every session end this store learns of: ends through this
   * instance, ends through another instance or process sharing the store, and expiry. A store
   * reports an expiry no later than its sweep interval after the session expired. Listeners must
   * not throw. Returns an unsubscribe function.
   */
  onEnd (listener: (end: SessionEnd) => void): () => void
  /**
   * Ends every expired session now, reporting each end. The store's own timer runs it (every
   * SESSION_SWEEP_INTERVAL); tests call it after moving their clock. Never rejects.
   */
  sweep (): Promise<void>
  /** Stops timers and drops listeners; later calls need not work. */
  close (): Promise<void>
}
