// No log line carries more than a few hundred bytes of anything a client chose: requests with a
// 15 KB URL, Host, Origin, Sec-Fetch-Site, X-Forwarded-For, User-Agent or cookie, on every route
// and on the upgrade path, leave only short log lines.
import https from 'node:https'
import t from 'tap'
import { bounded, MAX_LOGGED_CHARS } from '../../src/logging/bounded.js'
import { upgradeRequest } from '../helpers/raw-handshake.js'
import { exchange } from '../helpers/raw-ws.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

const HUGE = 'x'.repeat(15_000)

t.test('bounded() cuts long values and says how long they were', async (t) => {
  t.equal(bounded('short'), 'short')
  t.equal(bounded(undefined), undefined)
  t.equal(bounded('y'.repeat(MAX_LOGGED_CHARS)), 'y'.repeat(MAX_LOGGED_CHARS))
  t.equal(bounded('y'.repeat(1000)), `${'y'.repeat(MAX_LOGGED_CHARS)}… (1000 characters)`)
})

/** A request sent as given (fetch would normalise the URL and refuse some headers). */
function raw (
  server: TestServer,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = ''
): Promise<number> {
  return new Promise((resolve) => {
    // servername: the certificate is checked for localhost, not for the Host header under test.
    const req = https.request({
      host: '127.0.0.1',
      servername: 'localhost',
      port: server.port,
      method,
      path,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }
    }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', () => resolve(0))
    req.end(body)
  })
}

t.test('huge client values on every route and on the upgrade path leave short log lines', async (t) => {
  const server = await startTestServer(t, {
    TRUSTED_PROXIES: '127.0.0.1',
    LOG_LEVEL: 'debug',
    WS_REFUSED_HANDSHAKE_BURST: '1000'
  })
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const statuses: number[] = []
  for (const header of [
    'origin',
    'sec-fetch-site',
    'x-forwarded-for',
    'user-agent',
    'cookie',
    'host',
    'referer',
    'accept-version'
  ]) {
    const value = header === 'cookie' ? `__Host-sid=${HUGE}` : HUGE
    statuses.push(
      await raw(
        server,
        'POST',
        '/login',
        { ...form, origin: server.origin, [header]: value },
        `username=${'u'.repeat(3000)}&password=p`
      )
    )
    statuses.push(await raw(server, 'POST', '/logout', { ...form, origin: server.origin, [header]: value }))
    statuses.push(await raw(server, 'GET', '/', { [header]: value }))
    statuses.push((await exchange(server, upgradeRequest(server, { headers: [[header, value]] }))).status)
  }
  statuses.push(await raw(server, 'GET', `/${HUGE}`, {}))
  statuses.push(await raw(server, 'GET', `/login?notice=${HUGE}`, {}))
  statuses.push((await exchange(server, upgradeRequest(server, { path: `/ws?${HUGE}` }))).status)
  t.ok(
    statuses.every((status) => status >= 200),
    `every request was answered (${[...new Set(statuses)].sort().join(', ')})`
  )
  const longest = Math.max(...server.logs.lines.map((line) => line.length))
  t.ok(longest < 1500, `the longest log line is ${longest} bytes`)
  const fieldLengths = server.logs.entries().flatMap((entry) => strings(entry))
  t.ok(
    fieldLengths.every((s) => s.length <= MAX_LOGGED_CHARS + 30),
    `no field over ${MAX_LOGGED_CHARS + 30} characters (longest ${Math.max(...fieldLengths.map((s) => s.length))})`
  )
  t.notOk(server.logs.text.includes('x'.repeat(MAX_LOGGED_CHARS + 1)), 'no run of the huge value')
})

/** Every string in a log entry, however deep. */
function strings (value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(strings)
  return []
}
