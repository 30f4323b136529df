// A session is only as good as its account: on every use (a handshake, a page, the periodic
// re-check of open sockets) the account must still exist and hold the password the session was
// opened with. The account-change events end sessions at once; this check is what holds when an
// event was missed (made while no instance ran, or while the store could not be reached).
import type { Session, SessionEndReason, SessionStore } from '../stores/sessions/session-store.js'
import { credentialTag, mustChangePassword, type UsersStore } from './users-store.js'

/** Why `session` no longer holds, or undefined while its account is unchanged. */
export async function staleAccount (
  users: UsersStore,
  session: Pick<Session, 'username' | 'credential'>
): Promise<SessionEndReason | undefined> {
  let user = await users.get(session.username)
  // Another instance may have changed the password a moment ago (this session holds the new one):
  // what this process holds is brought up to date before the session is judged.
  if (user === undefined || credentialTag(user) !== session.credential) {
    await users.refresh()
    user = await users.get(session.username)
  }
  if (user === undefined) return 'user_removed'
  if (user.disabled === true) return 'account_disabled'
  return credentialTag(user) === session.credential ? undefined : 'password_changed'
}

/**
 * The live session for a secret id whose account still holds; a session found stale is ended
 * (for every instance) and answered as undefined.
 * @throws StoreUnavailableError when a shared store cannot answer the lookup
 */
export async function accountSession (
  sessions: SessionStore,
  users: UsersStore,
  id: string
): Promise<Session | undefined> {
  const session = await sessions.get(id)
  if (session === undefined) return undefined
  const stale = await staleAccount(users, session)
  if (stale === undefined) return session
  await sessions.destroyKey(session.key, stale)
  return undefined
}

/**
 * True when the session's account holds a one-time password: the session reaches the
 * change-password form and nothing else (the hero page sends it there, the gate refuses its sockets).
 */
export async function mustChangeFirst (users: UsersStore, session: Pick<Session, 'username'>): Promise<boolean> {
  const user = await users.get(session.username)
  return user !== undefined && mustChangePassword(user)
}
