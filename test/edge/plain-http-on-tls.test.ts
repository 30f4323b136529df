// Plain HTTP sent to the HTTPS port (src/edge/plain-http-on-tls.ts), over a raw TCP socket: one
// fixed 400 saying to use https://, with the fixed security headers, then the connection closes:
// nothing of the request is echoed or followed (no redirect built from Host), a second request on
// the same connection gets nothing, an upgrade gets no 101; bytes that are neither TLS nor HTTP get
// no HTTP at all; and TLS on the same port works as before.
import net from 'node:net'
import t from 'tap'
import { PLAIN_HTTP_ANSWER } from '../../src/edge/plain-http-on-tls.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

/** Writes `bytes` on a plain TCP connection to the server and reads until the server closes it. */
function sendPlain (server: TestServer, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(bytes))
    let got = ''
    socket.setEncoding('latin1').on('data', (chunk: string) => { got += chunk })
    socket.on('error', reject)
    socket.on('close', () => resolve(got))
    socket.setTimeout(15_000, () => reject(new Error(`no close within 15 s; got ${JSON.stringify(got)}`)))
  })
}

/** The status line, headers (lower-case names) and body of one HTTP/1.1 answer. */
function parse (answer: string): { statusLine: string, headers: Map<string, string>, body: string } {
  const [head = '', body = ''] = answer.split('\r\n\r\n')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers = new Map(lines.map((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
  }))
  return { statusLine, headers, body }
}

t.test('plain HTTP to the HTTPS port gets one fixed 400 saying to use https://, then the close', async (t) => {
  const server = await startTestServer(t)
  const answer = await sendPlain(server, 'GET /login HTTP/1.1\r\nHost: evil.example\r\n\r\n')
  const { statusLine, headers, body } = parse(answer)
  t.equal(statusLine, 'HTTP/1.1 400 Bad Request')
  t.equal(body, PLAIN_HTTP_ANSWER)
  t.equal(body, 'This port speaks HTTPS only: use https:// instead of http://.\n')
  t.equal(headers.get('connection'), 'close')
  t.equal(headers.get('content-type'), 'text/plain; charset=utf-8')
  t.equal(headers.get('x-content-type-options'), 'nosniff', 'the fixed security headers')
  t.match(headers.get('content-security-policy'), /^default-src 'none'/)
  t.notOk(headers.has('location'), 'no redirect')
  t.notMatch(answer, /evil\.example|\/login/, 'nothing of the request is echoed')
})

t.test('what follows the first request on that connection gets nothing more', async (t) => {
  const server = await startTestServer(t)
  const two = 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /livez HTTP/1.1\r\nHost: a\r\n\r\n'
  const answer = await sendPlain(server, two)
  t.equal(answer.match(/HTTP\/1\.1 /g)?.length, 1, 'one answer for two pipelined requests')
  const upgrade = await sendPlain(server, 'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n' +
    'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
  t.equal(parse(upgrade).statusLine, 'HTTP/1.1 400 Bad Request', 'a plain upgrade gets the same 400, no 101')
  t.equal(server.app.websocket.connections.size, 0, 'and no socket')
})

t.test('bytes that are neither TLS nor HTTP get no HTTP answer; TLS on the same port still works', async (t) => {
  const server = await startTestServer(t)
  const answer = await sendPlain(server, Buffer.from([0x00, 0x01, 0x02, 0x03, 0x0d, 0x0a]))
  t.notMatch(answer, /HTTP/, 'TLS refuses it, as before')
  t.equal((await server.request('/livez')).status, 200, 'HTTPS answers')
})
