// Requests Node itself cannot parse (a bad header, a URL or headers past the size limit, an
// unknown method, headers that arrive too slowly): Fastify's clientErrorHandler. Node answers
// them before Fastify sees a request, so this gives them what every other answer gets: the
// fixed security headers (rawAnswer), a count in the client's cross-site budget (past it: 429;
// a page elsewhere can make its visitor send such a request, so never the visitor's own budget),
// and one log line naming the client. Such a request has no headers we could read, so the client is the
// peer; a peer that is one of TRUSTED_PROXIES is not counted (everyone behind it would pay).
// Node also answers an `Expect` other than 100-continue itself (417, bare): such a request is
// handed to Fastify instead and answered like any other (RFC 9110 lets a server ignore it).
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { HttpError, type HttpErrorCode } from '../errors.js'
import { bounded } from '../logging/bounded.js'
import { clientOf } from '../edge/client-address.js'
import { endWithRawAnswer } from '../edge/fixed-headers.js'

/** The registry code of each parser error Node reports; anything else is request_invalid (400). */
const PARSER_ERRORS: ReadonlyMap<string, HttpErrorCode> = new Map<string, HttpErrorCode>([
  ['HPE_HEADER_OVERFLOW', 'request_headers_too_large'],
  ['ERR_HTTP_REQUEST_TIMEOUT', 'request_timeout']
])

/** Fastify's clientErrorHandler (called with the app as `this`). */
export function answerClientError (this: FastifyInstance, err: Error & { code?: string }, socket: Duplex): void {
  // A reset: the socket is gone, there is no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const app = this
  const peer = (socket as Duplex & { remoteAddress?: string }).remoteAddress
  const client = clientOf(peer, {}, app.services.trustedProxies)
  const counted = !app.services.trustedProxies.has(client.address)
  const code = PARSER_ERRORS.get(err.code ?? '') ?? 'request_invalid'
  const count = counted ? app.unreadableLimit(client) : Promise.resolve(undefined)
  count.then(
    (retryAfterS) => retryAfterS === undefined ? new HttpError(code) : new HttpError('rate_limited', { retryAfterS }),
    // A store that cannot count: the request is refused all the same.
    () => new HttpError(code)
  ).then((refusal) => {
    app.log.info(
      {
        event: 'request_refused',
        code: refusal.code,
        status: refusal.statusCode,
        ip: client.address,
        ...(counted ? {} : { counted: false }),
        detail: bounded(err.code ?? err.message)
      },
      'request refused'
    )
    answer(socket, refusal)
  }).catch((failure: unknown) => {
    app.log.error({ err: failure }, 'client error answer failed')
    socket.destroy()
  })
}

/** Writes the refusal as JSON `{code, message}` and closes the socket once it is sent. */
function answer (socket: Duplex, refusal: HttpError): void {
  endWithRawAnswer(socket, refusal.statusCode, {
    body: JSON.stringify({ code: refusal.code, message: refusal.message }),
    contentType: 'application/json; charset=utf-8',
    ...(refusal.retryAfterS === undefined ? {} : { retryAfterS: refusal.retryAfterS })
  })
}

/**
 * Hands a request whose `Expect` Node does not know to Fastify, as any other request, instead of
 * Node's own bare 417 (which no hook, limit or log would see).
 */
export function answerUnknownExpectations (app: FastifyInstance): void {
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    app.server.emit('request', request, response)
  })
}
