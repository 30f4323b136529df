// Malformed requests are limited and headed like any other (src/http/client-errors.ts, and
// frameworkErrors in src/http/error-handler.ts): each kind, sent over a raw TLS socket (bad URL
// encoding, a bad header, an oversized URL, an unknown method, headers too slow), is answered
// with its status, the fixed security headers and a JSON code, counted in the client's cross-site
// budget (a page elsewhere can make its visitor send some of them, so never the visitor's own
// budget), and logged once, naming the client.
import t, { type Test } from 'tap'
import { parseResponseHead } from '../helpers/raw-handshake.js'
import { exchange, RawClient } from '../helpers/raw-ws.js'
import { requestFrom } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

/** Sends `request` from `from` on a connection of its own; the answer, one value per header. */
async function sendRaw (
  server: TestServer,
  from: string,
  request: string
): Promise<{ status: number, headers: Map<string, string>, body: string }> {
  const answer = await exchange(server, request, undefined, from)
  return {
    status: answer.status,
    headers: new Map([...answer.headers].map(([name, values]) => [name, values.join(', ')])),
    body: answer.body
  }
}

/** Each kind of malformed request, with the status and code it must get. */
const MALFORMED: ReadonlyArray<readonly [string, string, number, string]> = [
  ['bad URL encoding (GET /%)', 'GET /% HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n', 400, 'request_invalid'],
  ['a bad header name', 'GET /login HTTP/1.1\r\nHost: h\r\nBad Header: y\r\n\r\n', 400, 'request_invalid'],
  ['an oversized URL', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: h\r\n\r\n`, 431, 'request_headers_too_large'],
  ['an unknown method', 'FROB / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'request_invalid']
]

function assertArmoured (t: Test, answer: { headers: Map<string, string> }, what: string): void {
  t.match(answer.headers.get('strict-transport-security'), /^max-age=31536000; includeSubDomains$/, `${what}: HSTS`)
  t.equal(answer.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`)
  t.equal(answer.headers.get('x-frame-options'), 'DENY', `${what}: frame options`)
  t.equal(answer.headers.get('referrer-policy'), 'same-origin', `${what}: referrer policy`)
  t.match(
    answer.headers.get('content-security-policy'),
    /^default-src 'none';.*frame-ancestors 'none'/,
    `${what}: a CSP that allows nothing`
  )
  t.equal(answer.headers.get('cache-control'), 'no-store', `${what}: not cached`)
}

t.test('each kind of malformed request: its status, the security headers, a count in the cross-site budget, ' +
  'one log line', async (t) => {
  const server = await startTestServer(t, { RATE_LIMIT_CROSS_SITE_MAX: String(MALFORMED.length), RATE_LIMIT_MAX: '2' })
  const from = '127.0.19.1'
  for (const [what, request, status, code] of MALFORMED) {
    const before = server.logs.lines.length
    const answer = await sendRaw(server, from, request)
    t.equal(answer.status, status, `${what}: ${status}`)
    assertArmoured(t, answer, what)
    t.same(JSON.parse(answer.body), { code, message: JSON.parse(answer.body).message }, `${what}: JSON ${code}`)
    const lines = server.logs.entries().slice(before).filter((e) => (e.level as number) >= 30)
    t.equal(lines.length, 1, `${what}: one log line`)
    t.match(lines[0], { event: 'request_refused', code, status, ip: from }, `${what}: naming the client`)
    t.ok(server.logs.lines.slice(before).every((line) => line.length < 1000), `${what}: bounded`)
  }
  const pages = [
    await requestFrom(server, from, { path: '/login' }),
    await requestFrom(server, from, { path: '/login' })
  ]
  t.same(
    pages.map((page) => page.status),
    [200, 200],
    `the ${MALFORMED.length} malformed requests spent none of the address's own budget (RATE_LIMIT_MAX 2)`
  )
  for (const [what, request] of MALFORMED) {
    const limited = await sendRaw(server, from, request)
    t.equal(limited.status, 429, `${what}, past the limit: 429`)
    t.ok(Number(limited.headers.get('retry-after')) >= 1, `${what}: with Retry-After`)
    assertArmoured(t, limited, `${what} (limited)`)
  }
  const limitedLines = server.logs.entries().filter((e) => e.code === 'rate_limited' && e.ip === from)
  t.equal(limitedLines.length, MALFORMED.length, 'each limited request logged once, naming the client')
  t.equal(
    (await requestFrom(server, '127.0.19.2', { path: '/%' })).status,
    400,
    'another address has a budget of its own'
  )
})

t.test('what Node cannot parse from a trusted proxy is answered but not counted: ' +
  'everyone behind it would pay', async (t) => {
  const server = await startTestServer(t, {
    RATE_LIMIT_MAX: '2',
    RATE_LIMIT_CROSS_SITE_MAX: '2',
    TRUSTED_PROXIES: '127.0.19.9'
  })
  const [, badHeader] = MALFORMED[1] ?? []
  if (badHeader === undefined) throw new Error('no malformed request')
  const statuses = []
  for (let i = 0; i < 4; i++) statuses.push((await sendRaw(server, '127.0.19.9', badHeader)).status)
  t.same(statuses, [400, 400, 400, 400], 'four bad requests through the proxy: 400 each, never 429')
  t.ok(
    server.logs.entries().filter((e) => e.event === 'request_refused').every(
      (e) => e.counted === false && e.ip === '127.0.19.9'
    ),
    'logged as not counted, naming the proxy'
  )
})

t.test('an Expect Node does not know is answered like any other request, not with Node\'s bare 417', async (t) => {
  const server = await startTestServer(t, { RATE_LIMIT_MAX: '2' })
  const request = 'GET /login HTTP/1.1\r\nHost: h\r\nExpect: something-else\r\nConnection: close\r\n\r\n'
  const answers = []
  for (let i = 0; i < 3; i++) answers.push(await sendRaw(server, '127.0.19.3', request))
  t.same(answers.map((a) => a.status), [200, 200, 429], 'the login page twice, then the limit: counted')
  for (const answer of answers) assertArmoured(t, answer, `an unknown Expect (${answer.status})`)
  t.equal(
    server.logs.entries().filter(
      (e) => (e.level as number) >= 30 &&
        (e.ip === '127.0.19.3' || (e.req as { remoteAddress?: string } | undefined)?.remoteAddress === '127.0.19.3')
    ).length,
    3,
    'one line each'
  )
})

t.test('headers that arrive too slowly: 408 with the security headers, one log line', async (t) => {
  const server = await startTestServer(t, { HTTP_HEADERS_TIMEOUT_MS: '500' })
  const client = await RawClient.connect(server, { localAddress: '127.0.19.4' })
  t.teardown(() => client.destroy())
  client.write('GET /login HTTP/1.1\r\nHost: h\r\n')
  await client.waitClosed()
  const head = parseResponseHead(client.data)
  t.equal(head?.status, 408, 'cut with 408')
  t.match(client.data.toString('utf8'), '"code":"request_timeout"')
  assertArmoured(
    t,
    {
      headers: new Map(
        [...(head?.headers ?? new Map<string, string[]>())].map(([name, values]) => [name, values.join(', ')])
      )
    },
    'a request too slow'
  )
  const lines = server.logs.entries().filter((e) => (e.level as number) >= 30 && e.ip === '127.0.19.4')
  t.match(lines, [{ event: 'request_refused', code: 'request_timeout', status: 408 }], 'one line, naming the client')
  t.equal(lines.length, 1)
})
