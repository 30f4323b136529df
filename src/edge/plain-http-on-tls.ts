// Plain HTTP sent to the HTTPS port (http://host:8443 typed in a browser, a curl without the s):
// OpenSSL fails the handshake and the client gets an empty reply. Each connection's first byte is
// looked at before TLS starts: a TLS handshake record (0x16) goes on to TLS untouched; what starts
// like an HTTP request (an upper-case letter: a method) gets one fixed 400 saying to use https://,
// and the socket is closed. Nothing of the request is read or believed: no redirect, since its
// only target would come from the Host header (an open redirect). Anything else goes on to TLS,
// which refuses it as before.
import type { Server, Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { endWithRawAnswer } from './fixed-headers.js'

/** The first byte of a TLS record that carries a handshake (a ClientHello). */
const TLS_HANDSHAKE_RECORD = 0x16

/** The body of the one answer given in plain HTTP. */
export const PLAIN_HTTP_ANSWER = 'This port speaks HTTPS only: use https:// instead of http://.\n'

/**
 * Looks at each connection's first byte before `server`'s TLS does (it takes over the
 * connection listeners `server` has now). A connection that sends nothing within `timeoutMs` is closed.
 */
export function answerPlainHttpOnTls (server: Server, log: FastifyBaseLogger, timeoutMs: number): void {
  const tlsListeners = server.listeners('connection') as Array<(socket: Socket) => void>
  server.removeAllListeners('connection')
  server.on('connection', (socket: Socket) => {
    const fail = (): void => { socket.destroy() }
    socket.on('error', fail)
    socket.setTimeout(timeoutMs, fail)
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null
      if (first === null) return void socket.destroy()
      socket.setTimeout(0)
      socket.off('error', fail)
      if (first[0] !== TLS_HANDSHAKE_RECORD && isUpperCaseLetter(first[0])) {
        log.debug({ event: 'plain_http_refused', ip: socket.remoteAddress }, 'plain HTTP on the HTTPS port')
        socket.on('error', fail)
        return void endWithRawAnswer(socket, 400, { body: PLAIN_HTTP_ANSWER })
      }
      // TLS reads what is buffered on the socket before the rest: the byte is not lost.
      socket.unshift(first)
      for (const listener of tlsListeners) listener.call(server, socket)
    })
  })
}

function isUpperCaseLetter (byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x41 && byte <= 0x5a
}
