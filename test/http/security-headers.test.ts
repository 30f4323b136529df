// Security headers on every kind of response: pages, assets, redirects, refusals, 404 and 429,
// and the one fixed set on the answers written past Fastify (the gate's, Node's clientError, the
// operators' listener); text assets say their charset.
// The CSP allows scripts only from 'self', no inline code, and sockets only to our own wss origin.
import fs from 'node:fs'
import net from 'node:net'
import https from 'node:https'
import path from 'node:path'
import t, { type Test } from 'tap'
import { getWithSession, postLogin } from '../helpers/http.js'
import { metricsUrl } from '../helpers/metrics.js'
import { parseResponseHead, upgradeRequest } from '../helpers/raw-handshake.js'
import { exchange, type RawRefusal } from '../helpers/raw-ws.js'
import { startTestServer, TEST_USER } from '../helpers/test-server.js'

/** The CSP as directive name → list of sources. */
function parseCsp (header: string | null): Map<string, string[]> {
  const directives = new Map<string, string[]>()
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/)
    if (name !== undefined && name !== '') directives.set(name.toLowerCase(), sources)
  }
  return directives
}

function assertSecurityHeaders (t: Test, res: Response, port: number, what: string): void {
  const csp = parseCsp(res.headers.get('content-security-policy'))
  t.same(csp.get('script-src'), ["'self'"], `${what}: script-src 'self' only`)
  t.notMatch(
    res.headers.get('content-security-policy'),
    /unsafe-inline|unsafe-eval|\*/,
    `${what}: no unsafe-inline, unsafe-eval or wildcard`
  )
  t.same(csp.get('default-src'), ["'none'"], `${what}: default-src 'none'`)
  t.ok(csp.get('connect-src')?.includes(`wss://127.0.0.1:${port}`), `${what}: connect-src has wss://127.0.0.1:${port}`)
  t.notOk(csp.get('connect-src')?.some((s) => s.startsWith('ws:')), `${what}: no plain ws:`)
  t.same(csp.get('frame-ancestors'), ["'none'"], `${what}: frame-ancestors 'none'`)
  t.same(csp.get('object-src'), ["'none'"], `${what}: object-src 'none'`)
  t.same(csp.get('base-uri'), ["'none'"], `${what}: base-uri 'none'`)
  t.match(res.headers.get('strict-transport-security'), /max-age=(\d{8,})/, `${what}: HSTS for a year or more`)
  t.match(res.headers.get('strict-transport-security'), /includeSubDomains/)
  t.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`)
  t.ok(
    ['no-referrer', 'same-origin'].includes(res.headers.get('referrer-policy') ?? ''),
    `${what}: Referrer-Policy keeps URLs on our site`
  )
  t.equal(res.headers.get('x-frame-options'), 'DENY', `${what}: X-Frame-Options`)
  t.equal(res.headers.get('x-powered-by'), null, `${what}: no X-Powered-By`)
}

t.test('every kind of response carries the security headers', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const responses: Array<[string, Response, number]> = [
    ['the login page', await getWithSession(server, '/login'), 200],
    ['the hero page', await getWithSession(server, '/', sid), 200],
    ['a redirect', await getWithSession(server, '/'), 303],
    ['an asset', await getWithSession(server, '/assets/style.css'), 200],
    ['a missing asset', await getWithSession(server, '/assets/nothing.js'), 404],
    ['a 404', await getWithSession(server, '/nothing-here'), 404],
    ['a failed login', await postLogin(server, TEST_USER.username, 'wrong password'), 401],
    ['a cross-site refusal', await postLogin(server, undefined, undefined, { origin: 'https://evil.example' }), 403],
    ['an oversized login', await postLogin(server, 'a'.repeat(65)), 400]
  ]
  for (const [what, res, status] of responses) {
    t.equal(res.status, status, `${what}: ${status}`)
    assertSecurityHeaders(t, res, server.port, what)
  }
})

t.test('a 429 carries the security headers too', async (t) => {
  const server = await startTestServer(t, { RATE_LIMIT_MAX: '1', LOGIN_RATE_IP_MAX: '1' })
  t.equal((await getWithSession(server, '/login')).status, 200)
  const page = await getWithSession(server, '/login')
  t.equal(page.status, 429)
  assertSecurityHeaders(t, page, server.port, 'a limited page')
  const asset = await getWithSession(server, '/assets/style.css')
  t.equal(asset.status, 429)
  assertSecurityHeaders(t, asset, server.port, 'a limited asset')
  await postLogin(server, 'nobody', 'wrong password')
  const login = await postLogin(server)
  t.equal(login.status, 429)
  assertSecurityHeaders(t, login, server.port, 'a limited login')
})

t.test('pages are not cached; assets are revalidated every time', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  t.equal((await getWithSession(server, '/login')).headers.get('cache-control'), 'no-store')
  t.equal((await getWithSession(server, '/', sid)).headers.get('cache-control'), 'no-store')
  const asset = await getWithSession(server, '/assets/style.css')
  t.match(asset.headers.get('cache-control'), /max-age=0/)
  const etag = asset.headers.get('etag')
  t.ok(etag, 'assets carry an ETag')
  // node:https, not fetch: fetch adds Cache-Control: no-cache to conditional requests.
  const status = await new Promise<number | undefined>((resolve, reject) => {
    https.get(server.url + '/assets/style.css', { ca: server.ca, headers: { 'if-none-match': etag ?? '' } }, (res) => {
      res.resume()
      resolve(res.statusCode)
    }).on('error', reject)
  })
  t.equal(status, 304, 'an unchanged asset is not sent again')
})

t.test('dotfiles, listings and paths out of /assets/ are not served', async (t) => {
  const server = await startTestServer(t)
  // Raw paths: fetch() would normalise the dots away before sending.
  for (const route of [
    '/assets/',
    '/assets/.hidden',
    '/assets/../index.html',
    '/assets/%2e%2e/index.html',
    '/assets/..%2findex.html',
    '/assets/%2e%2e%2findex.html'
  ]) {
    const { status, body } = await rawGet(server.port, route)
    t.ok(status === 404 || status === 403 || status === 400, `${route}: ${status}`)
    t.notMatch(body, 'Heroes', `${route}: the hero page is not served without a session`)
  }
})

/** GET with the path sent exactly as given. */
function rawGet (port: number, route: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: route }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (s: string) => { body += s }).on(
        'end',
        () => resolve({ status: res.statusCode ?? 0, body })
      )
    })
    req.on('error', reject)
  })
}

/** The headers every answer carries, whoever writes it, and the value each must have. */
const FIXED_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['strict-transport-security', 'max-age=31536000; includeSubDomains'],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'same-origin'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-origin']
]

t.test('answers written past Fastify carry the same fixed headers as a page: the gate\'s, Node\'s clientError, ' +
  'the operators\' listener', async (t) => {
  const file = path.join(t.testdir({}), 'token')
  fs.writeFileSync(file, 'a-long-random-scrape-token-0123456789\n', { mode: 0o600 })
  const server = await startTestServer(t, { METRICS_PORT: '0', METRICS_TOKEN_FILE: file })
  const page = await getWithSession(server, '/login')
  for (const [name, value] of FIXED_HEADERS) t.equal(page.headers.get(name), value, `the login page: ${name}`)

  const sid = await server.login()
  const raw: Array<[string, RawRefusal, number]> = [
    [
      'a handshake from another origin',
      await exchange(server, upgradeRequest(server, { origins: ['https://evil.example'] })),
      403
    ],
    ['a handshake without a session', await exchange(server, upgradeRequest(server)), 401],
    ['a handshake on another path', await exchange(server, upgradeRequest(server, { path: '/other', sid })), 404],
    ['a malformed handshake (ws)', await exchange(server, upgradeRequest(server, { sid, key: 'not-a-key' })), 400],
    [
      'a bad header (Node\'s clientError)',
      await exchange(server, 'GET /login HTTP/1.1\r\nHost: h\r\nBad Header: y\r\n\r\n'),
      400
    ]
  ]
  for (const [what, answer, status] of raw) {
    t.equal(answer.status, status, `${what}: ${status}`)
    for (const [name, value] of FIXED_HEADERS) t.same(answer.headers.get(name), [value], `${what}: ${name}`)
    t.match(
      answer.headers.get('content-security-policy')?.[0],
      /^default-src 'none';/,
      `${what}: a CSP that allows nothing`
    )
  }

  const operators = metricsUrl(server)
  for (const [what, url, status] of [
    ['a scrape without the token', `${operators}/metrics`, 401],
    ['the operators\' 404', `${operators}/nothing`, 404],
    ['the operators\' readiness', `${operators}/readyz`, 200]
  ] as const) {
    const res = await fetch(url)
    t.equal(res.status, status, `${what}: ${status}`)
    for (const [name, value] of FIXED_HEADERS) t.equal(res.headers.get(name), value, `${what}: ${name}`)
  }
  const unparsed = parseResponseHead(
    await plainExchange(new URL(operators), 'GET /metrics HTTP/1.1\r\nHost: h\r\nBad Header: y\r\n\r\n')
  )
  t.equal(unparsed?.status, 400, 'a bad header on the operators\' listener (Node\'s clientError): 400')
  for (const [name, value] of FIXED_HEADERS) {
    t.same(
      unparsed?.headers.get(name),
      [value],
      `the operators' clientError: ${name}`
    )
  }
})

/**
 * Sends `request` over plain TCP to `url`'s host and port; everything the server wrote before it closed (at most
 * 10 s).
 */
async function plainExchange (url: URL, request: string): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => socket.write(request))
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no answer within 10 s')) }, 10_000)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)) })
  })
}

t.test('the SVG icon says its charset, as the other text assets do', async (t) => {
  const server = await startTestServer(t)
  const svg = await getWithSession(server, '/assets/favicon.svg')
  t.equal(svg.status, 200)
  t.equal(svg.headers.get('content-type'), 'image/svg+xml; charset=utf-8')
  t.equal((await getWithSession(server, '/assets/style.css')).headers.get('content-type'), 'text/css; charset=utf-8')
})
