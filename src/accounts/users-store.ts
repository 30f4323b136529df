// The accounts store interface: usernames and their argon2id hashes. The file store
// (file-users-store.ts) is the default; any other backend implements the same contract, which
// test/accounts/users-store-contract.ts checks.
//
// Failure: every method may be asynchronous and may reject (storage unreadable, unreachable,
// full). A caller that reads (`get`, `list`) treats a rejection as "cannot tell": a login fails
// closed (an error answer, never a session). A caller that writes (`put`, `remove`) reports the
// failure and the store keeps its previous state: a write is applied whole or not at all.

import { createHash } from 'node:crypto'

export interface UserRecord {
  readonly username: string
  /** argon2id PHC string. */
  readonly hash: string
  /**
   * When the password was set (epoch ms). A rehash (same password, new costs) keeps it; a new
   * password changes it. Records written before it existed lack it.
   */
  readonly passwordSetAt?: number
}

/**
 * What identifies the password a record holds: its passwordSetAt, or for older records its hash.
 * Two records with the same credential hold the same password; a change of it is a new password.
 */
export function credentialOf (record: UserRecord): string {
  return record.passwordSetAt === undefined ? record.hash : `set:${record.passwordSetAt}`
}

/**
 * What a session keeps of the password it was opened with: 32 hex digits of the SHA-256 of
 * credentialOf (never a hash itself). A session whose account no longer has the same tag is over.
 */
export function credentialTag (record: UserRecord): string {
  return createHash('sha256').update(credentialOf(record)).digest('hex').slice(0, 32)
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
   * Replaces the user's hash with `hash` (the same password at the configured costs) only if it is
   * still `expectedHash`; resolves whether it did. Not a password change: no listener hears of it.
   */
  rehash (username: string, expectedHash: string, hash: string): Promise<boolean>
  /**
   * Calls `listener` with the username whenever the store learns that a user is gone: removed
   * through this instance, or by someone else (another process rewriting the backing storage).
   * Returns an unsubscribe function.
   */
  onRemoved (listener: (username: string) => void): () => void
  /** As onRemoved, for a user given a new password (credentialOf changed; a rehash is not one). */
  onPasswordChanged (listener: (username: string) => void): () => void
  /** Calls `listener` when the store could not refresh from its backing storage (it keeps the last good state). */
  onReloadError (listener: (err: unknown) => void): () => void
  /** Stops watching and drops every listener; later calls need not work. */
  close (): Promise<void>
}
