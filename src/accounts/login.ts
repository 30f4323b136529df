// The login use case: check a username and password with argon2id (an unknown user costs the
// same check as a wrong password); make sure the account is still the one checked (the check may
// have waited in the hashing queue while the user was removed or given a new password); start a
// new session under the account's stored name (names are compared ignoring case), ending the one
// the browser had (an id planted before login is never promoted) and the user's oldest beyond
// MAX_SESSIONS_PER_USER; and bring a hash made with other costs to the
// configured ones, so every account's check takes the same time. HTTP stays in the route.
import type { Session, SessionStore } from '../stores/sessions/session-store.js'
import { isValidUsername } from './account-rules.js'
import { HashingBusyError } from './hashing-process.js'
import type { PasswordHasher } from './password-hasher.js'
import { credentialOf, credentialTag, type UsersStore } from './users-store.js'

export interface LoginDependencies {
  readonly users: UsersStore
  readonly hasher: PasswordHasher
  readonly sessions: SessionStore
  readonly config: { readonly session: { readonly maxPerUser: number } }
  /** Told when a hash could not be brought to the configured costs (the login still succeeds). */
  readonly onRehashFailed: (username: string, err: unknown) => void
  /** Told when the user's oldest sessions could not be ended (the login still succeeds). */
  readonly onSessionLimitFailed: (username: string, err: unknown) => void
}

export interface LoginAttempt {
  readonly username: string
  readonly password: string
  /** The session id the browser already carried, if any: it is ended on success. */
  readonly previousSessionId: string | undefined
}

/**
 * Why a correct password was refused all the same, for the log only: the account is disabled, or
 * its one-time password expired unused. The answer is the wrong password's: whoever is guessing
 * learns nothing, and the person is told by the operator who disabled the account or issued the
 * password (docs/security.md).
 */
export type LoginRefusedAccount = 'account_disabled' | 'password_expired'

/**
 * `failed`: the answer says nothing about why; `account` is for the log only: the stored name of
 * the account whose password did not match, or undefined when no account has the name given (never
 * the name given: a password typed into the username field must not reach the logs). `busy`: the
 * password could not be checked now (too many checks waiting). `ok`: carries the new session.
 */
export type LoginOutcome =
  | { readonly outcome: 'failed', readonly account: string | undefined, readonly reason?: LoginRefusedAccount }
  | { readonly outcome: 'busy' }
  | { readonly outcome: 'ok', readonly id: string, readonly session: Session }

/**
 * Checks the credentials and, when they match, starts a session.
 * @throws StoreUnavailableError when a shared session store cannot answer
 */
export async function logIn (deps: LoginDependencies, attempt: LoginAttempt): Promise<LoginOutcome> {
  const { password } = attempt
  const user = isValidUsername(attempt.username) ? await deps.users.get(attempt.username) : undefined
  let match: 'nfc' | 'as typed' | undefined
  try {
    match = await deps.hasher.match(user?.hash, password)
  } catch (err) {
    if (err instanceof HashingBusyError) return { outcome: 'busy' }
    throw err
  }
  if (user === undefined) return { outcome: 'failed', account: undefined }
  // From here on, the account's stored name: `ALICE` logs in as alice, one account whatever the case.
  const { username } = user
  if (match === undefined) return { outcome: 'failed', account: username }
  // The check may have waited: the account must still hold the password that was checked.
  const now = await deps.users.get(username)
  if (now === undefined || credentialOf(now) !== credentialOf(user)) return { outcome: 'failed', account: username }
  if (now.disabled === true) return { outcome: 'failed', account: username, reason: 'account_disabled' }
  const { id, session } = await deps.sessions.create(username, credentialTag(now))
  // An issued password's deadline is judged on the session store's clock (Redis's TIME with
  // REDIS_URL): one clock for every instance, the one that also ends sessions.
  if (now.mustChangeBy !== undefined && session.createdAt > now.mustChangeBy) {
    await deps.sessions.destroy(id, 'password_expired')
    return { outcome: 'failed', account: username, reason: 'password_expired' }
  }
  if (attempt.previousSessionId !== undefined) {
    try {
      await deps.sessions.destroy(attempt.previousSessionId, 'replaced')
    } catch (err) {
      // The store failed part-way: the new session, whose cookie is never sent, is taken back (or
      // ages out when the store cannot answer that either); the browser keeps the session it had.
      await deps.sessions.destroy(id, 'replaced').catch(() => undefined)
      throw err
    }
  }
  // Last, and never undoing the login: ending the oldest cannot be taken back, so a store that
  // fails here leaves the user one session over MAX_SESSIONS_PER_USER until their next login.
  await endOldestSessions(deps, username).catch((err: unknown) => deps.onSessionLimitFailed(username, err))
  // A hash of the password as typed (made before passwords were normalised) becomes one of its NFC form.
  if (deps.hasher.needsRehash(user.hash) || match === 'as typed') {
    // A record without passwordSetAt is identified by its hash: a rehash would end its sessions.
    if (user.passwordSetAt === undefined) {
      deps.onRehashFailed(username, new Error('the record has no passwordSetAt; set the password again with the ' +
        'users CLI'))
    } else void rehash(deps, username, user.hash, password)
  }
  return { outcome: 'ok', id, session }
}

/** Ends the user's oldest sessions beyond MAX_SESSIONS_PER_USER (their sockets close with 4401). */
async function endOldestSessions (deps: LoginDependencies, username: string): Promise<void> {
  const sessions = await deps.sessions.listUser(username)
  const excess = sessions.length - deps.config.session.maxPerUser
  for (const session of sessions.slice(0, Math.max(0, excess))) {
    await deps.sessions.destroyKey(session.key, 'session_limit')
  }
}

/** Hashes the password again at the configured costs and stores it, if the account is unchanged. */
async function rehash (deps: LoginDependencies, username: string, oldHash: string, password: string): Promise<void> {
  try {
    await deps.users.rehash(username, oldHash, await deps.hasher.hash(password))
  } catch (err) {
    deps.onRehashFailed(username, err)
  }
}
