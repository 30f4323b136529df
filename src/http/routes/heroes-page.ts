// GET /: the hero page for a live session of an unchanged account (a page load keeps the session
// alive; a one-time password sends it to /account/password first); without one, back to the
// login page, saying the session ended when the browser had a cookie.
import type { FastifyPluginAsync } from 'fastify'
import { accountSession, mustChangeFirst } from '../../accounts/account-sessions.js'
import type { UsersStore } from '../../accounts/users-store.js'
import {
  SESSION_COOKIE, SESSION_COOKIE_OPTIONS, hasSessionCookie, sessionIdFromCookieHeader
} from '../../sessions/session-cookie.js'
import type { SessionStore } from '../../stores/sessions/session-store.js'
import type { Pages } from '../pages.js'
import { sendPage } from '../replies.js'

export interface HeroesPageOptions {
  readonly sessions: SessionStore
  readonly users: UsersStore
  readonly pages: Pages
}

export const heroesPageRoutes: FastifyPluginAsync<HeroesPageOptions> = async (app, { sessions, users, pages }) => {
  app.get('/', { config: { errorPage: true } }, async (request, reply) => {
    const id = sessionIdFromCookieHeader(request.headers.cookie)
    const session = id === undefined ? undefined : await accountSession(sessions, users, id)
    if (id === undefined || session === undefined) {
      const hadCookie = hasSessionCookie(request.headers.cookie)
      if (hadCookie) reply.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS)
      return reply.header('cache-control', 'no-store')
        .redirect(hadCookie ? '/login?notice=session_ended' : '/login', 303)
    }
    request.username = session.username
    // An issued (one-time) password is changed before anything else.
    if (await mustChangeFirst(users, session)) {
      return reply.header('cache-control', 'no-store').redirect('/account/password', 303)
    }
    // A page load keeps the session alive; a store that cannot record it just lets it age.
    await sessions.touch(id).catch((err: unknown) => {
      request.log.warn(
        { event: 'session_touch_failed', err: { message: (err as Error).message } },
        'could not record activity on a session'
      )
    })
    return sendPage(reply, 200, pages.heroes)
  })
}
