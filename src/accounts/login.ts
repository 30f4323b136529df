// The login use case: check a username and password with argon2id (an unknown user costs the
// same check as a wrong password), then start a new session, ending the one the browser had so
// that an id planted before login is never promoted. HTTP and logging stay in the route.
import type { Session, SessionStore } from '../sessions/session-store.js'
import { isValidUsername } from './account-rules.js'
import { HashingBusyError } from './hashing-process.js'
import type { PasswordHasher } from './password-hasher.js'
import type { UsersStore } from './users-store.js'

export interface LoginDependencies {
  readonly users: UsersStore
  readonly hasher: PasswordHasher
  readonly sessions: SessionStore
}

export interface LoginAttempt {
  readonly username: string
  readonly password: string
  /** The session id the browser already carried, if any: it is ended on success. */
  readonly previousSessionId: string | undefined
}

/**
 * `failed`: says nothing about why (unknown user or wrong password). `busy`: the password could
 * not be checked now (too many checks waiting). `ok`: carries the new session.
 */
export type LoginOutcome =
  | { readonly outcome: 'failed' }
  | { readonly outcome: 'busy' }
  | { readonly outcome: 'ok', readonly id: string, readonly session: Session }

/**
 * Checks the credentials and, when they match, starts a session.
 * @throws StoreUnavailableError when a shared session store cannot answer
 */
export async function logIn (deps: LoginDependencies, attempt: LoginAttempt): Promise<LoginOutcome> {
  const { username, password } = attempt
  const user = isValidUsername(username) ? await deps.users.get(username) : undefined
  let ok: boolean
  try {
    ok = await deps.hasher.verify(user?.hash, password)
  } catch (err) {
    if (err instanceof HashingBusyError) return { outcome: 'busy' }
    throw err
  }
  if (!ok) return { outcome: 'failed' }
  if (attempt.previousSessionId !== undefined) await deps.sessions.destroy(attempt.previousSessionId, 'replaced')
  const { id, session } = await deps.sessions.create(username)
  return { outcome: 'ok', id, session }
}
