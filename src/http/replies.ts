// How pages and errors are answered: pages are never cached; an error is answered as the login
// page with its message (and the username a refused login form carried) on routes that say so in
// their config (`errorPage`), as JSON
// `{code, message}` everywhere else.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { HttpErrorCode } from '../errors.js'
import type { Pages } from './pages.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Errors on this route are answered as a page (routes people open in a browser): the login
     * page, or with 'password' the change-password page.
     */
    errorPage?: boolean | 'password'
  }
}

/** Sends an HTML page, not cached. */
export function sendPage (reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html)
}

/** Sends an error with its status, registry code and the text a person reads. */
export function sendError (
  request: FastifyRequest,
  reply: FastifyReply,
  pages: Pages,
  error: { statusCode: number, code: HttpErrorCode, message: string, retryAfterS?: number | undefined }
): FastifyReply {
  const page = request.routeOptions?.config?.errorPage
  if (page === 'password') {
    const notice = { text: error.message, kind: 'error' } as const
    return sendPage(reply, error.statusCode, pages.password({ issued: false, notice }))
  }
  if (page === true) {
    const username = (request.body as { username?: unknown } | undefined)?.username
    const kept = typeof username === 'string' ? username : undefined
    const notice = { text: error.message, kind: 'error', retryAfterS: error.retryAfterS } as const
    return sendPage(reply, error.statusCode, pages.login(notice, kept))
  }
  return reply.code(error.statusCode).header('cache-control', 'no-store').send({
    code: error.code,
    message: error.message
  })
}
