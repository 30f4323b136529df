// Removing a user, disabling them or changing their password ends their sessions (and so closes
// their sockets), whether the change came through this process or from another one rewriting the
// users store. A password change ends only the sessions opened with an older password: the one the
// person continues under after changing it (account/password) was opened with the new one, and an
// instance that hears of the change later must not end it.
import type { FastifyBaseLogger } from 'fastify'
import type { SessionEndReason, SessionStore } from '../stores/sessions/session-store.js'
import { credentialTag, type UsersStore } from './users-store.js'

/** Ends the sessions of `username` opened with another password than the account holds now; resolves how many. */
export async function endSessionsOfOldPasswords (
  users: UsersStore,
  sessions: SessionStore,
  username: string
): Promise<number> {
  const user = await users.get(username)
  if (user === undefined) return await sessions.destroyUser(username, 'user_removed')
  const current = credentialTag(user)
  let ended = 0
  for (const session of await sessions.listUser(username)) {
    if (session.credential === current) continue
    await sessions.destroyKey(session.key, 'password_changed')
    ended++
  }
  return ended
}

/** Subscribes the sessions to account changes; returns the unsubscribe. */
export function endSessionsOnAccountChanges (
  users: UsersStore,
  sessions: SessionStore,
  log: FastifyBaseLogger
): () => void {
  const failed = (username: string, reason: SessionEndReason) => (err: unknown): void => {
    log.error(
      { err, event: 'sessions_not_ended', user: username, reason },
      'could not end the sessions of a changed account'
    )
  }
  const end = (username: string, reason: 'user_removed' | 'account_disabled'): void => {
    sessions.destroyUser(username, reason).catch(failed(username, reason))
  }
  const unsubscribe = [
    users.onRemoved((username) => end(username, 'user_removed')),
    users.onDisabled((username) => end(username, 'account_disabled')),
    users.onPasswordChanged((username) => {
      endSessionsOfOldPasswords(users, sessions, username).catch(failed(username, 'password_changed'))
    }),
    users.onReloadError((err) => log.error({ err }, 'users file could not be reloaded; keeping the previous users'))
  ]
  return () => {
    for (const off of unsubscribe) off()
  }
}
