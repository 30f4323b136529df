// A request that arrives while the app closes (on a connection that was already open) is
// refused by us (src/http/shutdown-refusal.ts), not by Fastify's bare 503: the fixed security
// headers, a Retry-After, and one log line naming the client.
import t from 'tap'
import { HTTP_ERRORS } from '../../src/errors.js'
import { waitUntil } from '../helpers/hero-client.js'
import { parseResponseHead } from '../helpers/raw-handshake.js'
import { RawClient } from '../helpers/raw-ws.js'
import { startTestServer } from '../helpers/test-server.js'

t.test('a request pipelined behind one in flight when the app starts closing: ' +
  '503 shutting_down with the headers', async (t) => {
  const server = await startTestServer(t, { LOG_LEVEL: 'debug' })
  const client = await RawClient.connect(server, { localAddress: '127.0.21.1' })
  t.teardown(() => client.destroy())
  // A login form without its password (refused before argon2), whose body has not arrived yet.
  const body = 'username=alice'
  client.write(
    `POST /login HTTP/1.1\r\nHost: h\r\nOrigin: ${server.origin}\r\nContent-Type: ` +
      `application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`
  )
  await waitUntil(() => server.logs.text.includes('"msg":"incoming request"'), 'the first request to be in flight')
  const closed = server.app.close()
  await waitUntil(() => !server.app.server.listening, 'the app to start closing')
  client.write(`${body}GET /login HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`)
  await client.waitClosed()
  await closed

  const first = parseResponseHead(client.data)
  t.equal(first?.status, 400, 'the request in flight is answered')
  const firstLength = Number(first?.headers.get('content-length')?.[0] ?? 0)
  const second = parseResponseHead(client.data.subarray((first?.length ?? 0) + firstLength))
  t.equal(second?.status, 503, 'the one that arrived while closing: 503')
  t.same(second?.headers.get('retry-after'), ['5'], 'with Retry-After')
  t.same(second?.headers.get('strict-transport-security'), ['max-age=31536000; includeSubDomains'], 'HSTS')
  t.same(second?.headers.get('x-content-type-options'), ['nosniff'], 'nosniff')
  t.same(second?.headers.get('x-frame-options'), ['DENY'], 'frame options')
  t.match(client.data.toString('utf8'), HTTP_ERRORS.shutting_down.message, 'our page, saying why')
  const lines = server.logs.entries().filter((e) => e.code === 'shutting_down')
  t.equal(lines.length, 1, 'logged once')
  t.match(lines[0], { status: 503, ip: '127.0.21.1' }, 'naming the client')
})
