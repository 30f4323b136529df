// GET /: the hero page for a live session (a page load keeps the session alive); without one,
// back to the login page, saying the session ended when the browser had a cookie.
import type { FastifyPluginAsync } from 'fastify'
import { SESSION_COOKIE, SESSION_COOKIE_OPTIONS, hasSessionCookie, sessionFromCookie } from '../../sessions/session-cookie.js'
import type { SessionStore } from '../../sessions/session-store.js'
import type { Pages } from '../pages.js'
import { sendPage } from '../replies.js'

export interface HeroesPageOptions {
  readonly sessions: SessionStore
  readonly pages: Pages
}

export const heroesPageRoutes: FastifyPluginAsync<HeroesPageOptions> = async (app, { sessions, pages }) => {
  app.get('/', { config: { errorPage: true } }, async (request, reply) => {
    const current = await sessionFromCookie(sessions, request.headers.cookie)
    if (current === undefined) {
      const hadCookie = hasSessionCookie(request.headers.cookie)
      if (hadCookie) reply.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS)
      return reply.header('cache-control', 'no-store').redirect(hadCookie ? '/login?notice=session_ended' : '/login', 303)
    }
    // A page load keeps the session alive; a store that cannot record it just lets it age.
    await sessions.touch(current.id).catch((err: unknown) => {
      request.log.warn({ event: 'session_touch_failed', err: { message: (err as Error).message } }, 'could not record activity on a session')
    })
    return sendPage(reply, 200, pages.heroes)
  })
}
