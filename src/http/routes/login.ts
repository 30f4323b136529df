// GET /login (the form, with an optional notice) and POST /login. A post must come from our
// own page, passes the per-IP and the per-username-and-IP limits, has bounded fields (refused
// before argon2 runs), and gets the same 401 page for an unknown user as for a wrong password.
import type {
  FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler,
  preParsingAsyncHookHandler
} from 'fastify'
import {
  fitsPasswordLimit, LOGIN_FORM_BODY_LIMIT, MAX_PASSWORD_BYTES, MAX_USERNAME_LENGTH
} from '../../accounts/account-rules.js'
import { logIn, type LoginDependencies } from '../../accounts/login.js'
import type { Config } from '../../config/config.js'
import { HTTP_ERRORS, HttpError, LOGIN_NOTICES, type HttpErrorCode } from '../../errors.js'
import { unknownUsernameTag } from '../../logging/username-tag.js'
import type { AppMetrics } from '../../operations/metrics.js'
import { loggedSessionKey } from '../../stores/sessions/session-ids.js'
import { SESSION_COOKIE, SESSION_COOKIE_OPTIONS, sessionIdFromCookieHeader } from '../../sessions/session-cookie.js'
import type { AllowedOrigins } from '../../edge/allowed-origins.js'
import type { Pages } from '../pages.js'
import { loginIpLimit, loginUserLimit } from '../rate-limits.js'
import { sendPage } from '../replies.js'
import { sameOriginOnly } from '../same-origin.js'

export interface LoginRoutesOptions extends Omit<LoginDependencies, 'onRehashFailed' | 'onSessionLimitFailed'> {
  readonly config: Pick<Config, 'loginRateLimit' | 'session'>
  readonly pages: Pages
  readonly allowedOrigins: AllowedOrigins
  readonly metrics: AppMetrics
}

/** How the metrics name a login answered with each refusal code. */
const REFUSED_LOGINS: ReadonlyMap<HttpErrorCode, string> = new Map<HttpErrorCode, string>([
  ['rate_limited', 'rate_limited'],
  ['login_attempts_limited', 'rate_limited'],
  ['login_busy', 'busy'],
  ['store_unavailable', 'store_unavailable'],
  ['cross_site_request', 'cross_site'],
  ['login_form_invalid', 'invalid']
])

/** A login's outcome for the metrics, from how it was answered. */
function loginOutcome (status: number, refusal: HttpErrorCode | null): string {
  if (status === 303) return 'succeeded'
  if (status === HTTP_ERRORS.login_failed.status && refusal === null) return 'failed'
  return (refusal === null ? undefined : REFUSED_LOGINS.get(refusal)) ?? 'error'
}

/** Seconds a login refused with login_busy is told to wait (Retry-After). */
const LOGIN_BUSY_RETRY_AFTER_S = 2

const loginBodySchema = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: MAX_USERNAME_LENGTH },
    // In characters, a first cut: no password of more characters has MAX_PASSWORD_BYTES or fewer.
    password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_BYTES }
  }
} as const

interface LoginBody { username: string, password: string }

/**
 * The password rule's limit in bytes (account-rules.ts), the one the users CLI sets passwords by:
 * past it the form is invalid, refused before the login limits and argon2, as the schema's are.
 */
const passwordWithinLimit: preHandlerAsyncHookHandler = async (request) => {
  if (!fitsPasswordLimit((request.body as LoginBody).password)) throw new HttpError('login_form_invalid')
}

/** Logins come from the form only: any other body type is refused (415) before it is parsed. */
const formBodyOnly: preParsingAsyncHookHandler = async (request, _reply, payload) => {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') throw new HttpError('login_form_invalid', { statusCode: 415 })
  return payload
}

/** What the login use case needs, with the log lines its two background failures write. */
function loginDependencies (app: FastifyInstance, options: LoginRoutesOptions): LoginDependencies {
  return {
    ...options,
    onRehashFailed: (username, err) => {
      app.log.warn(
        { event: 'rehash_failed', username, err: { message: (err as Error).message } },
        'could not store the password hash at the configured costs (is USERS_FILE read-only?); ' +
          'run npm run users -- add to set it'
      )
    },
    onSessionLimitFailed: (username, err) => {
      app.log.warn(
        { event: 'session_limit_not_enforced', username, err: { message: (err as Error).message } },
        'could not end the user\'s oldest sessions beyond MAX_SESSIONS_PER_USER; the next login tries again'
      )
    }
  }
}

/**
 * Logs a failed login and answers the login page saying so, with the name typed back in its field.
 * @param account the stored name of the account whose password did not match, if there is one
 */
function answerFailedLogin (
  request: FastifyRequest<{ Body: LoginBody }>,
  reply: FastifyReply,
  pages: Pages,
  account: string | undefined,
  reason: string | undefined
): FastifyReply {
  const { username } = request.body
  // Never the name as typed: for no account, it is often a password typed in the wrong field.
  const who = account === undefined
    ? { account: 'unknown', usernameTag: unknownUsernameTag(username) }
    : { account: 'known', username: account, reason: reason ?? 'wrong_password' }
  request.log.info({ event: 'login_failed', ...who, ip: request.client.address }, 'login failed')
  // The name as typed goes back into its field (and to nobody else): the person fixes a typo.
  const page = pages.login({ text: HTTP_ERRORS.login_failed.message, kind: 'error' }, username)
  return sendPage(reply, HTTP_ERRORS.login_failed.status, page)
}

export const loginRoutes: FastifyPluginAsync<LoginRoutesOptions> = async (app, options) => {
  const { config, pages } = options
  const deps = loginDependencies(app, options)
  const userLimit = loginUserLimit(app, config, (request) => (request.body as LoginBody).username)

  app.get('/login', { config: { errorPage: true } }, async (request, reply) => {
    const code = (request.query as Record<string, unknown>).notice
    const text = typeof code === 'string' ? LOGIN_NOTICES.get(code) : undefined
    return sendPage(reply, 200, pages.login(text === undefined ? undefined : { text, kind: 'info' }))
  })

  app.post<{ Body: LoginBody }>('/login', {
    schema: { body: loginBodySchema },
    bodyLimit: LOGIN_FORM_BODY_LIMIT,
    // A post from another site was refused before any budget (cross-site.ts); the global limit
    // counts every other post (onRequest), the login limits only posts from our own page with a
    // form (preHandler, after the same-origin check): a page on another origin cannot spend its
    // visitor's requests or login attempts.
    config: { errorPage: true, inputErrorCode: 'login_form_invalid' },
    preParsing: [sameOriginOnly(options.allowedOrigins), formBodyOnly],
    preHandler: [
      passwordWithinLimit,
      loginIpLimit(app, config),
      userLimit.check
    ],
    onResponse: async (request, reply) => {
      options.metrics.logins.inc({ outcome: loginOutcome(reply.statusCode, request.refusal) })
      options.metrics.loginDuration.observe(reply.elapsedTime / 1000)
    }
  }, async (request, reply) => {
    const { username, password } = request.body
    const outcome = await logIn(
      deps,
      { username, password, previousSessionId: sessionIdFromCookieHeader(request.headers.cookie) }
    )
    if (outcome.outcome === 'busy') throw new HttpError('login_busy', { retryAfterS: LOGIN_BUSY_RETRY_AFTER_S })
    if (outcome.outcome === 'failed') {
      // Only failures spend the per-username budget (rate-limits.ts): logging in again never does.
      await userLimit.countFailure(request)
      return answerFailedLogin(request, reply, pages, outcome.account, outcome.reason)
    }
    request.log.info(
      {
        event: 'login_succeeded',
        username: outcome.session.username,
        ip: request.client.address,
        session: loggedSessionKey(outcome.session.key)
      },
      'login succeeded'
    )
    return reply.setCookie(SESSION_COOKIE, outcome.id, SESSION_COOKIE_OPTIONS)
      .header('cache-control', 'no-store')
      .redirect('/', 303)
  })
}
