// Who did it, on every refusal line (src/http/error-handler.ts, src/http/request-log-lines.ts,
// the gate, the operators' listener): behind TRUSTED_PROXIES each line names the forwarded client
// as the limits see it, never the proxy, and the user where the session is known; Fastify's own
// request line does the same, with the proxy as `peer`.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { requestFrom } from '../helpers/http.js'
import { metricsUrl } from '../helpers/metrics.js'
import { upgradeRequest } from '../helpers/raw-handshake.js'
import { exchange, RawWebSocket } from '../helpers/raw-ws.js'
import { startTestServer, TEST_USER } from '../helpers/test-server.js'

const PROXY = '127.0.0.1'
const FORM = 'application/x-www-form-urlencoded'

t.test('behind a trusted proxy, each refusal line and each request line names the forwarded client', async (t) => {
  const file = path.join(t.testdir({}), 'token')
  fs.writeFileSync(file, 'a-long-random-scrape-token-0123456789\n', { mode: 0o600 })
  const server = await startTestServer(t, {
    TRUSTED_PROXIES: PROXY,
    RATE_LIMIT_MAX: '7',
    METRICS_PORT: '0',
    METRICS_TOKEN_FILE: file,
    WS_MAX_CONNECTIONS_PER_USER: '1'
  })
  const via = (client: string): Record<string, string> => ({ 'x-forwarded-for': `${client}, ${PROXY}` })
  const lineOf = (predicate: (e: Record<string, unknown>) => boolean): Record<string, unknown> | undefined =>
    server.logs.entries().find(predicate)

  t.equal((await requestFrom(server, PROXY, { path: '/login', headers: via('203.0.113.1') })).status, 200)
  t.match(
    lineOf((e) => e.msg === 'request completed'),
    { req: { url: '/login', remoteAddress: '203.0.113.1', peer: PROXY }, res: { statusCode: 200 } },
    'the request line: the client, and the proxy as peer'
  )

  const refusals: Array<[string, string, number, Parameters<typeof requestFrom>[2]]> = [
    [
      '203.0.113.2',
      'login_form_invalid',
      400,
      {
        method: 'POST',
        path: '/login',
        headers: { ...via('203.0.113.2'), origin: server.origin, 'content-type': FORM },
        body: 'username=alice'
      }
    ],
    [
      '203.0.113.3',
      'login_form_invalid',
      415,
      {
        method: 'POST',
        path: '/login',
        headers: { ...via('203.0.113.3'), origin: server.origin, 'content-type': 'application/xml' },
        body: '<x/>'
      }
    ],
    [
      '203.0.113.4',
      'cross_site_request',
      403,
      {
        method: 'POST',
        path: '/login',
        headers: { ...via('203.0.113.4'), origin: 'https://evil.example', 'content-type': FORM },
        body: 'username=alice&password=x'
      }
    ],
    ['203.0.113.5', 'not_found', 404, { path: '/nothing', headers: via('203.0.113.5') }]
  ]
  for (const [client, code, status, request] of refusals) {
    t.equal((await requestFrom(server, PROXY, request)).status, status, `${code}: ${status}`)
    if (code === 'not_found') continue // not a refusal: its line is the request line
    t.match(
      lineOf((e) => e.event === 'request_refused' && e.code === code && e.status === status),
      { ip: client, method: request.method ?? 'GET' },
      `${code} ${status}: names ${client}`
    )
  }
  t.match(
    lineOf((e) => e.msg === 'request completed' && (e.res as { statusCode: number }).statusCode === 404),
    { req: { remoteAddress: '203.0.113.5' } },
    'a 404\'s line names the client'
  )
  const badUrl = await exchange(
    server,
    'GET /% HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.6\r\n\r\n',
    undefined,
    PROXY
  )
  t.equal(badUrl.status, 400)
  t.match(
    lineOf((e) => e.code === 'request_invalid'),
    { ip: '203.0.113.6', url: '/%' },
    'a URL the router cannot read: 400, naming the client'
  )
  for (let i = 0; i < 8; i++) await requestFrom(server, PROXY, { path: '/login', headers: via('203.0.113.7') })
  t.match(lineOf((e) => e.code === 'rate_limited'), { status: 429, ip: '203.0.113.7' }, '429: names the client')
  t.notOk(
    server.logs.entries().some((e) => e.event === 'request_refused' && e.ip === PROXY),
    'no refusal names the proxy'
  )

  const sid = await server.login()
  const open = await RawWebSocket.open(server, sid)
  t.teardown(() => open.destroy())
  const second = await exchange(
    server,
    upgradeRequest(server, { sid, headers: [['X-Forwarded-For', '203.0.113.8']] }),
    undefined,
    PROXY
  )
  t.equal(second.status, 429, 'a second socket for a user allowed one')
  t.match(
    lineOf((e) => e.event === 'ws_rejected' && e.reason === 'user_connection_limit'),
    { ip: '203.0.113.8', username: TEST_USER.username },
    'ws_rejected: the client and the user'
  )

  const scrape = await fetch(`${metricsUrl(server)}/metrics`, {
    headers: { authorization: 'Bearer wrong-token', 'x-forwarded-for': '203.0.113.9' }
  })
  t.equal(scrape.status, 401)
  t.match(
    lineOf((e) => e.event === 'metrics_unauthorized'),
    { level: 40, ip: '203.0.113.9', token: 'wrong' },
    'a scrape with a wrong token is logged, naming the client'
  )
})
