// Removing a user or changing their password ends their sessions (and so closes their sockets),
// whether the change came through this process or from another one rewriting the users store.
import type { FastifyBaseLogger } from 'fastify'
import type { SessionStore } from '../stores/sessions/session-store.js'
import type { UsersStore } from './users-store.js'

/** Subscribes the sessions to account changes; returns the unsubscribe. */
export function endSessionsOnAccountChanges (
  users: UsersStore,
  sessions: SessionStore,
  log: FastifyBaseLogger
): () => void {
  const end = (username: string, reason: 'user_removed' | 'password_changed'): void => {
    sessions.destroyUser(username, reason).catch((err: unknown) => {
      log.error(
        { err, event: 'sessions_not_ended', user: username, reason },
        'could not end the sessions of a changed account'
      )
    })
  }
  const unsubscribe = [
    users.onRemoved((username) => end(username, 'user_removed')),
    users.onPasswordChanged((username) => end(username, 'password_changed')),
    users.onReloadError((err) => log.error({ err }, 'users file could not be reloaded; keeping the previous users'))
  ]
  return () => {
    for (const off of unsubscribe) off()
  }
}
