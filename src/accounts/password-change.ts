// The change-password use case (account/password): the current password checked through the
// hashing process (an account gone meanwhile costs the same check and gets the same answer as a
// wrong password); the new one through the password rules; the change stored only if the account
// still holds the password that was checked; then every session opened with the old password ends
// (on every instance: their sockets close with 4401) and a new session starts for this browser
// (a new id: the old one, which may have been seen, is over). HTTP stays in the route.
import type { PasswordRefusalCode } from '../errors.js'
import type { Session, SessionStore } from '../stores/sessions/session-store.js'
import { endSessionsOfOldPasswords } from './account-changes.js'
import { HashingBusyError } from './hashing-process.js'
import type { PasswordHasher } from './password-hasher.js'
import { checkNewPassword } from './password-rules/password-rules.js'
import { credentialTag, type UsersStore } from './users-store.js'

export interface PasswordChangeDependencies {
  readonly users: UsersStore
  readonly hasher: PasswordHasher
  readonly sessions: SessionStore
  /** The wall clock (epoch ms) passwordSetAt is written with. */
  readonly wallClock?: () => number
}

export interface PasswordChangeAttempt {
  /** The session asking, with its secret id: ended with the others, replaced by a new one. */
  readonly session: { readonly id: string, readonly session: Session }
  readonly currentPassword: string
  readonly newPassword: string
}

/**
 * `wrong`: the same answer for a wrong password and an account gone (`reason` is for the log
 * only). `refused`: the new password breaks a rule. `busy`: the hashing queue is full. `ok`: the
 * new session, and how many other sessions ended.
 */
export type PasswordChangeOutcome =
  | { readonly outcome: 'wrong', readonly reason: 'wrong_password' | 'account_gone' | 'changed_meanwhile' }
  | { readonly outcome: 'refused', readonly code: PasswordRefusalCode }
  | { readonly outcome: 'busy' }
  | { readonly outcome: 'ok', readonly id: string, readonly session: Session, readonly ended: number }

/**
 * Changes the password of the session's account.
 * @throws StoreUnavailableError when a shared session store cannot answer
 */
export async function changePassword (
  deps: PasswordChangeDependencies,
  attempt: PasswordChangeAttempt
): Promise<PasswordChangeOutcome> {
  const { username } = attempt.session.session
  const user = await deps.users.get(username)
  let hash: string
  try {
    const match = await deps.hasher.match(user?.hash, attempt.currentPassword)
    if (user === undefined) return { outcome: 'wrong', reason: 'account_gone' }
    if (match === undefined) return { outcome: 'wrong', reason: 'wrong_password' }
    const refused = checkNewPassword(attempt.newPassword, username)
    if (refused !== undefined) return { outcome: 'refused', code: refused.code }
    hash = await deps.hasher.hash(attempt.newPassword)
  } catch (err) {
    if (err instanceof HashingBusyError) return { outcome: 'busy' }
    throw err
  }
  const others = (await deps.sessions.listUser(username)).filter((s) => s.key !== attempt.session.session.key)
  const setAt = (deps.wallClock ?? Date.now)()
  if (!await deps.users.changePassword(username, user.hash, hash, setAt)) {
    return { outcome: 'wrong', reason: 'changed_meanwhile' }
  }
  // The store's listener ends them too (and every instance's, when it reads the change): whichever
  // comes first, the session started below holds the new password and is not among them.
  await endSessionsOfOldPasswords(deps.users, deps.sessions, username)
  await deps.sessions.destroy(attempt.session.id, 'password_changed')
  const changed = await deps.users.get(username)
  if (changed === undefined) return { outcome: 'wrong', reason: 'account_gone' }
  const { id, session } = await deps.sessions.create(username, credentialTag(changed))
  return { outcome: 'ok', id, session, ended: others.length }
}
