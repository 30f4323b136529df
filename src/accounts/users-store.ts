// The accounts store interface: usernames and their argon2id hashes. The file store
// (file-users-store.ts) is the default; any other backend implements the same contract, which
// test/accounts/users-store-contract.ts checks.
//
// Failure: every method may be asynchronous and may reject (storage unreadable, unreachable,
// full). A caller that reads (`get`, `list`) treats a rejection as "cannot tell": a login fails
// closed (an error answer, never a session). A caller that writes (`put`, `remove`) reports the
// failure and the store keeps its previous state: a write is applied whole or not at all.

export interface UserRecord {
  readonly username: string
  /** argon2id PHC string. */
  readonly hash: string
}

/** What callers need from an accounts store. */
export interface UsersStore {
  /** The account named exactly `username` (case-sensitive), or undefined when there is none. */
  get (username: string): Promise<UserRecord | undefined>
  /** Every username, sorted. */
  list (): Promise<readonly string[]>
  /**
   * Adds the user, or replaces the hash of an existing one. Rejects a username that breaks the
   * account rules (account-rules.ts) with a TypeError, before anything is written.
   */
  put (record: UserRecord): Promise<void>
  /** Removes the user; resolves true when it existed. */
  remove (username: string): Promise<boolean>
  /**
   * Calls `listener` with the username whenever the store learns that a user is gone: removed
   * through this instance, or by someone else (another process rewriting the backing storage).
   * Returns an unsubscribe function.
   */
  onRemoved (listener: (username: string) => void): () => void
  /** As onRemoved, for a user whose password hash changed. */
  onPasswordChanged (listener: (username: string) => void): () => void
  /** Calls `listener` when the store could not refresh from its backing storage (it keeps the last good state). */
  onReloadError (listener: (err: unknown) => void): () => void
  /** Stops watching and drops every listener; later calls need not work. */
  close (): Promise<void>
}
