// GET and POST /account/password: a person changes their own password. The post comes from our
// own page only (same-origin.ts), with a session; it spends the login limits (per IP, and per
// username and IP, the same budgets as /login: a guess at the current password here is a guess
// there). The current password is checked through the hashing process, the new one through the
// password rules (the page says which rule, in words). On success every session opened with the
// old password ends (their sockets close with 4401 on every instance), the person is told how many,
// and this browser continues under a new session id. A one-time (issued) password is changed here
// before anything else (heroes-page.ts and the gate send such a session nowhere else).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preParsingAsyncHookHandler } from 'fastify'
import { accountSession } from '../../accounts/account-sessions.js'
import { fitsPasswordLimit, MAX_PASSWORD_BYTES } from '../../accounts/account-rules.js'
import { changePassword, type PasswordChangeDependencies } from '../../accounts/password-change.js'
import type { Config } from '../../config/config.js'
import type { AllowedOrigins } from '../../edge/allowed-origins.js'
import { HTTP_ERRORS, HttpError, PASSWORD_REFUSALS } from '../../errors.js'
import { loggedSessionKey } from '../../stores/sessions/session-ids.js'
import type { Session } from '../../stores/sessions/session-store.js'
import {
  SESSION_COOKIE, SESSION_COOKIE_OPTIONS, hasSessionCookie, sessionIdFromCookieHeader
} from '../../sessions/session-cookie.js'
import type { Notice, Pages } from '../pages.js'
import { loginIpLimit, loginUserLimit, type LoginUserLimit } from '../rate-limits.js'
import { sendPage } from '../replies.js'
import { sameOriginOnly } from '../same-origin.js'

export interface AccountPasswordOptions extends PasswordChangeDependencies {
  readonly config: Pick<Config, 'loginRateLimit'>
  readonly pages: Pages
  readonly allowedOrigins: AllowedOrigins
}

/** Largest change-password body, in bytes: three passwords at their limit, percent-encoded, and the names. */
const PASSWORD_FORM_BODY_LIMIT = 3 * 3 * MAX_PASSWORD_BYTES + 256

/** Seconds a change refused because the hashing queue is full is told to wait (Retry-After). */
const HASHING_BUSY_RETRY_AFTER_S = 2

const passwordBodySchema = {
  type: 'object',
  required: ['currentPassword', 'newPassword', 'repeatPassword'],
  properties: {
    currentPassword: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_BYTES },
    newPassword: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_BYTES },
    repeatPassword: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_BYTES }
  }
} as const

interface PasswordBody { currentPassword: string, newPassword: string, repeatPassword: string }

declare module 'fastify' {
  interface FastifyRequest {
    /** The live session a change-password post acts for (found before the limits, which count its user). */
    passwordSession: { id: string, session: Session } | undefined
  }
}

/** The form only: any other body type is refused (415) before it is parsed. */
const formBodyOnly: preParsingAsyncHookHandler = async (request, _reply, payload) => {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') throw new HttpError('password_form_invalid', { statusCode: 415 })
  return payload
}

/** Back to the login page: no live session (saying it ended when the browser had a cookie). */
function toLogin (request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const hadCookie = hasSessionCookie(request.headers.cookie)
  if (hadCookie) reply.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS)
  return reply.header('cache-control', 'no-store').redirect(hadCookie ? '/login?notice=session_ended' : '/login', 303)
}

/** The page with a refusal's notice and status. */
function refusedPage (reply: FastifyReply, pages: Pages, issued: boolean, notice: Notice, status = 400): FastifyReply {
  return sendPage(reply, status, pages.password({ issued, notice }))
}

/** The sentence a person reads after a change: what happened to their other sessions (ASVS 7.4.3). */
export function changedNotice (ended: number): Notice {
  const others = ended === 0
    ? 'You had no other sessions.'
    : `Your ${ended === 1 ? 'other session has' : `${ended} other sessions have`} ended: wherever else you were ` +
      'logged in, you must log in again with the new password.'
  return { kind: 'info', text: `Your password has been changed. ${others}` }
}

/** A preHandler finding the session (before the limits, which count its user); without one, to the login page. */
function sessionFinder (
  { sessions, users }: Pick<AccountPasswordOptions, 'sessions' | 'users'>
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (request, reply) => {
    const id = sessionIdFromCookieHeader(request.headers.cookie)
    const session = id === undefined ? undefined : await accountSession(sessions, users, id)
    if (id === undefined || session === undefined) return toLogin(request, reply)
    request.username = session.username
    request.passwordSession = { id, session }
    return undefined
  }
}

/** The post's answer, once the session is found and the limits passed. */
async function answerChange (
  options: AccountPasswordOptions,
  request: FastifyRequest<{ Body: PasswordBody }>,
  reply: FastifyReply,
  userLimit: LoginUserLimit
): Promise<FastifyReply> {
  const { pages, users } = options
  const current = request.passwordSession
  if (current === undefined) return reply // answered by the session finder
  const { currentPassword, newPassword, repeatPassword } = request.body
  const issued = (await users.get(current.session.username))?.mustChangeBy !== undefined
  if (newPassword !== repeatPassword) {
    return refusedPage(reply, pages, issued, { kind: 'error', text: HTTP_ERRORS.new_passwords_differ.message })
  }
  const outcome = await changePassword(options, { session: current, currentPassword, newPassword })
  const log = { username: current.session.username, ip: request.client.address }
  switch (outcome.outcome) {
    case 'busy':
      throw new HttpError('login_busy', { retryAfterS: HASHING_BUSY_RETRY_AFTER_S })
    case 'wrong': {
      // A wrong current password spends the per-username budget, as a failed login does.
      await userLimit.countFailure(request)
      request.log.info({ event: 'password_change_failed', ...log, reason: outcome.reason }, 'password change failed')
      const text = HTTP_ERRORS.current_password_wrong.message
      return refusedPage(reply, pages, issued, { kind: 'error', text }, HTTP_ERRORS.current_password_wrong.status)
    }
    case 'refused':
      request.log.info({ event: 'password_change_refused', ...log, rule: outcome.code }, 'new password refused')
      return refusedPage(reply, pages, issued, { kind: 'error', text: PASSWORD_REFUSALS[outcome.code] })
  }
  const session = loggedSessionKey(outcome.session.key)
  request.log.info({ event: 'password_changed', ...log, session, endedSessions: outcome.ended }, 'password changed')
  reply.setCookie(SESSION_COOKIE, outcome.id, SESSION_COOKIE_OPTIONS)
  return sendPage(reply, 200, pages.password({ issued: false, notice: changedNotice(outcome.ended) }))
}

/** Refuses a password over the byte limit (the schema counted characters) before the limits and argon2. */
async function passwordsWithinLimit (request: FastifyRequest<{ Body: PasswordBody }>): Promise<void> {
  const { currentPassword, newPassword, repeatPassword } = request.body
  if (![currentPassword, newPassword, repeatPassword].every(fitsPasswordLimit)) {
    throw new HttpError('password_form_invalid')
  }
}

export const accountPasswordRoutes: FastifyPluginAsync<AccountPasswordOptions> = async (app, options) => {
  const findSession = sessionFinder(options)
  const userLimit = loginUserLimit(app, options.config, (request) => request.passwordSession?.session.username ?? '')
  app.decorateRequest('passwordSession', undefined)

  app.get('/account/password', { config: { errorPage: 'password' } }, async (request, reply) => {
    const answered = await findSession(request, reply)
    if (answered !== undefined || request.passwordSession === undefined) return reply
    const user = await options.users.get(request.passwordSession.session.username)
    return sendPage(reply, 200, options.pages.password({ issued: user?.mustChangeBy !== undefined }))
  })

  app.post<{ Body: PasswordBody }>('/account/password', {
    schema: { body: passwordBodySchema },
    bodyLimit: PASSWORD_FORM_BODY_LIMIT,
    config: { errorPage: 'password', inputErrorCode: 'password_form_invalid' },
    preParsing: [sameOriginOnly(options.allowedOrigins), formBodyOnly],
    preHandler: [
      findSession,
      passwordsWithinLimit,
      loginIpLimit(app, options.config),
      userLimit.check
    ]
  }, async (request, reply) => await answerChange(options, request, reply, userLimit))
}
