// The accounts store interface: usernames and their argon2id hashes. The file store
// (file-users-store.ts) is the default; any other backend implements the same contract, which
// test/accounts/users-store-contract.ts checks.
//
// Names: an account is found by its name compared case-insensitively (canonicalUsername in
// account-rules.ts), so `Alice` and `alice` are the same account. The record keeps the name as
// it was first given; that stored name is the one a session carries, and the one every per-user
// key (sessions, socket slots, events) is made of.
//
// Failure: every method may be asynchronous and may reject (storage unreadable, unreachable,
// full). A caller that reads (`get`, `list`) treats a rejection as "cannot tell": a login fails
// closed (an error answer, never a session). A caller that writes (`put`, `remove`) reports the
// failure and the store keeps its previous state: a write is applied whole or not at all.

import { createHash } from 'node:crypto'

/** Thrown by put when another account's name differs from the new one only in case (or NFKC form). */
export class UsernameTakenError extends Error {
  override name = 'UsernameTakenError'
  /** The name the existing account is stored under. */
  readonly existing: string
  constructor (existing: string) {
    super(`a user ${existing} exists (usernames are compared ignoring case)`)
    this.existing = existing
  }
}

export interface UserRecord {
  readonly username: string
  /** argon2id PHC string. */
  readonly hash: string
  /**
   * When the password was set (epoch ms). A rehash (same password, new costs) keeps it; a new
   * password changes it. Records written before it existed lack it.
   */
  readonly passwordSetAt?: number
  /**
   * Set on a one-time password (one an operator issued, or the generated demo one): the epoch ms,
   * on the writer's wall clock, until which it logs in. A session it opens reaches nothing but the
   * change-password form. Absent on a password the person chose, or one set with --permanent.
   */
  readonly mustChangeBy?: number
  /** True while an operator has disabled the account: no login, no session (users disable/enable). */
  readonly disabled?: boolean
}

/** True when the record holds a one-time password: the person must choose their own before anything else. */
export function mustChangePassword (record: UserRecord): boolean {
  return record.mustChangeBy !== undefined
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
  /** The account whose name equals `username` ignoring case (canonicalUsername), or undefined. */
  get (username: string): Promise<UserRecord | undefined>
  /** Every username as stored, sorted. */
  list (): Promise<readonly string[]>
  /**
   * Adds the user, or replaces the hash of the existing one of exactly that name. Rejects a
   * username that breaks the account rules (account-rules.ts) with a TypeError, and one that
   * differs from an existing account's name only in case with UsernameTakenError, before anything
   * is written (the check and the write are one step: two writers cannot both add a look-alike).
   */
  put (record: UserRecord): Promise<void>
  /**
   * The person's own new password: replaces the user's hash with `hash` (set at `passwordSetAt`,
   * epoch ms) and ends its one-time state, only if the hash is still `expectedHash` (the one the
   * current password was checked against); resolves whether it did. Listeners hear onPasswordChanged.
   */
  changePassword (username: string, expectedHash: string, hash: string, passwordSetAt: number): Promise<boolean>
  /**
   * Disables (or enables) the account named ignoring case, keeping everything else; resolves its
   * stored name, or undefined when there is none. Disabling is heard through onDisabled.
   */
  setDisabled (username: string, disabled: boolean): Promise<string | undefined>
  /**
   * Brings what this process holds up to date with the backing storage now, when it keeps a copy
   * (the file store reads a changed file at once instead of at its next poll); a store that asks
   * its storage on every get resolves at once.
   */
  refresh (): Promise<void>
  /** Removes the user (named ignoring case); resolves true when it existed. */
  remove (username: string): Promise<boolean>
  /**
   * Replaces the user's hash with `hash` (the same password at the configured costs) only if it is
   * still `expectedHash`; resolves whether it did. Not a password change: no listener hears of it.
   */
  rehash (username: string, expectedHash: string, hash: string): Promise<boolean>
  /**
   * Calls `listener` with the stored username whenever the store learns that a user is gone: removed
   * through this instance, or by someone else (another process rewriting the backing storage).
   * Returns an unsubscribe function.
   */
  onRemoved (listener: (username: string) => void): () => void
  /** As onRemoved, for a user given a new password (credentialOf changed; a rehash is not one). */
  onPasswordChanged (listener: (username: string) => void): () => void
  /** As onRemoved, for a user an operator disabled (the account stays, its sessions end). */
  onDisabled (listener: (username: string) => void): () => void
  /** Calls `listener` when the store could not refresh from its backing storage (it keeps the last good state). */
  onReloadError (listener: (err: unknown) => void): () => void
  /** Stops watching and drops every listener; later calls need not work. */
  close (): Promise<void>
}
