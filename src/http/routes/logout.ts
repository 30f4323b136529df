// POST /logout: from our own page only; ends the session server-side (its sockets close with
// 4401), clears the cookie and goes back to the login page.
import type { FastifyPluginAsync } from 'fastify'
import { SESSION_COOKIE, SESSION_COOKIE_OPTIONS, sessionFromCookie } from '../../sessions/session-cookie.js'
import type { SessionStore } from '../../stores/sessions/session-store.js'
import type { AllowedOrigins } from '../../edge/allowed-origins.js'
import { sameOriginOnly } from '../same-origin.js'

export interface LogoutRoutesOptions {
  readonly sessions: SessionStore
  readonly allowedOrigins: AllowedOrigins
}

/** Largest logout body accepted, in bytes (the form sends none). */
const LOGOUT_BODY_LIMIT = 1024

export const logoutRoutes: FastifyPluginAsync<LogoutRoutesOptions> = async (app, { sessions, allowedOrigins }) => {
  app.post('/logout', {
    bodyLimit: LOGOUT_BODY_LIMIT,
    config: { errorPage: true },
    preParsing: sameOriginOnly(allowedOrigins)
  }, async (request, reply) => {
    const current = await sessionFromCookie(sessions, request.headers.cookie)
    if (current !== undefined) {
      request.username = current.session.username
      await sessions.destroy(current.id, 'logout')
      request.log.info(
        { event: 'logout', username: current.session.username, ip: request.client.address },
        'logged out'
      )
    }
    return reply.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS)
      .header('cache-control', 'no-store')
      .redirect('/login?notice=logged_out', 303)
  })
}
