// The metrics listener: on its own port (never the public one), optionally behind a bearer token
// compared in constant time, over HTTPS with METRICS_TLS=on, secret files others can read warned
// about, names by Prometheus conventions, no username, session or address in
// any label, and exact counts after a scripted session: one login, three heroes, one refused
// origin, one logout.
import fs from 'node:fs'
import path from 'node:path'
import tls from 'node:tls'
import t from 'tap'
import { blockText } from '../../scripts/docs/doc-block.js'
import { AppMetrics } from '../../src/operations/metrics.js'
import { HeroClient, waitUntil } from '../helpers/hero-client.js'
import { postForm, postLogin, ROOT } from '../helpers/http.js'
import {
  documentedMetrics,
  metricsUrl,
  scrape,
  SCRIPTED_SESSION_COUNTS,
  valueOf,
  type ExpectedSample
} from '../helpers/metrics.js'
import { assertRefused } from '../helpers/gate-refusals.js'
import { upgradeRequest } from '../helpers/raw-handshake.js'
import { tableRows } from '../helpers/readme.js'
import { startTestServer, TEST_USER, testCredentials } from '../helpers/test-server.js'

t.test('a scripted session gives exact counts, and no label names a person, a session or an address', async (t) => {
  const server = await startTestServer(t, { METRICS_PORT: '0' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  for (const hero of ['ironMan', 'hulk', 'batMan']) {
    t.match(
      await client.request({ type: 'get_name', hero }),
      { type: 'name' }
    )
  }
  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid, origins: ['https://evil.example'] }),
    { status: 403, reason: 'origin_forbidden', secrets: [sid] }
  )
  t.equal((await postForm(server, '/logout', {}, { cookie: `__Host-sid=${sid}` })).status, 303)
  t.same(await client.closed(), { code: 4401, reason: 'session_ended' })
  await waitUntil(() => server.app.websocket.connections.size === 0, 'the socket to be forgotten')
  const samples = await scrape(server)
  const expected: ExpectedSample[] = [
    ...SCRIPTED_SESSION_COUNTS,
    ['hero_socket_revocations_total', { path: 'local' }, 1],
    ['hero_socket_closes_total', { code: '4401' }, 1],
    ['hero_socket_ready', {}, 1]
  ]
  for (const [name, labels, value] of expected) {
    t.equal(
      valueOf(samples, name, labels),
      value,
    `${name}${JSON.stringify(labels)} = ${value}`
    )
  }
  t.ok(valueOf(samples, 'hero_socket_login_duration_seconds_sum') > 0.01, 'the login took argon2\'s time')
  t.ok(
    samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds'),
    'prom-client\'s default metrics, event-loop lag included'
  )
  t.ok(samples.some((s) => s.name === 'process_cpu_seconds_total'))

  const ours = samples.filter((s) => s.name.startsWith('hero_socket_'))
  for (const s of ours) t.match(s.name, /^hero_socket_[a-z_]+$/, `${s.name}: snake case under the prefix`)
  const values = JSON.stringify(ours.map((s) => s.labels))
  for (const secret of [TEST_USER.username, sid, '127.0.0.1', server.app.services.instanceId]) {
    t.notMatch(
      values,
      secret,
    `no label carries ${secret === sid ? 'the session id' : secret}`
    )
  }
  t.same(samples.filter((s) => s.name.startsWith('hero_socket_redis')), [], 'no Redis metrics without REDIS_URL')
})

t.test('the metrics are on their own listener, loopback by default, and never on the public port', async (t) => {
  const server = await startTestServer(t, { METRICS_PORT: '0' })
  t.match(metricsUrl(server), /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal((await fetch(`${server.url}/metrics`)).status, 404, 'the public port has no /metrics')
  t.equal((await fetch(`${metricsUrl(server)}/nope`)).status, 404)
  t.equal((await fetch(`${metricsUrl(server)}/metrics`, { method: 'POST' })).status, 405)
  const plain = await startTestServer(t)
  t.equal(plain.app.operators, undefined, 'no listener unless METRICS_PORT is set')
})

t.test('METRICS_TOKEN_FILE: /metrics asks for the bearer token; health and readiness do not', async (t) => {
  const file = path.join(t.testdir({}), 'token')
  const token = 'a-long-random-scrape-token-0123456789'
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 })
  const server = await startTestServer(t, { METRICS_PORT: '0', METRICS_TOKEN_FILE: file })
  const url = `${metricsUrl(server)}/metrics`
  for (const [name, headers] of [
    ['no token', {}],
    ['a wrong token', { authorization: `Bearer ${token.slice(0, -1)}x` }],
    ['a longer one', { authorization: `Bearer ${token}x` }],
    ['another scheme', { authorization: `Basic ${token}` }]
  ] as const) {
    const res = await fetch(url, { headers })
    t.equal(res.status, 401, `${name}: 401`)
    t.equal(res.headers.get('www-authenticate'), 'Bearer')
    t.notMatch(await res.text(), 'hero_socket', `${name}: no metrics`)
  }
  t.ok((await scrape(server, token)).length > 50, 'the right token gets the metrics')
  t.equal((await fetch(`${metricsUrl(server)}/readyz`)).status, 200)
  t.equal((await fetch(`${metricsUrl(server)}/livez`)).status, 200)
  t.notMatch(server.logs.text, token, 'the token is never logged')
})

/** TLS_CERT and TLS_KEY files in `dir` (the tests' certificate), with the key's `keyMode`. */
async function certificateFiles (dir: string, keyMode = 0o600): Promise<{ TLS_CERT: string, TLS_KEY: string }> {
  const { cert, key } = await testCredentials()
  const files = { TLS_CERT: path.join(dir, 'cert.pem'), TLS_KEY: path.join(dir, 'key.pem') }
  fs.writeFileSync(files.TLS_CERT, cert)
  fs.writeFileSync(files.TLS_KEY, key, { mode: keyMode })
  fs.chmodSync(files.TLS_KEY, keyMode)
  return files
}

t.test('METRICS_TLS=on: the operators\' listener speaks only HTTPS, with the public TLS policy, and the token still ' +
  'asked', async (t) => {
  const dir = t.testdir({})
  const token = 'a-long-random-scrape-token-0123456789'
  const tokenFile = path.join(dir, 'token')
  fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 })
  const server = await startTestServer(
    t,
    { METRICS_PORT: '0', METRICS_TLS: 'on', METRICS_TOKEN_FILE: tokenFile, ...await certificateFiles(dir) }
  )
  t.match(metricsUrl(server), /^https:\/\/127\.0\.0\.1:\d+$/)
  const port = new URL(metricsUrl(server)).port
  await t.rejects(
    fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } }),
    'plain HTTP gets no answer: the token never crosses in the clear'
  )
  t.equal((await fetch(`${metricsUrl(server)}/metrics`)).status, 401, 'over HTTPS, no token: 401')
  t.ok((await scrape(server, token)).length > 50, 'over HTTPS with the token: the metrics')
  const cbc = await new Promise<boolean>((resolve) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port: Number(port), maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' }
    )
    socket.once('secureConnect', () => { resolve(true); socket.end() })
    socket.once('error', () => resolve(false))
  })
  t.notOk(cbc, 'a CBC suite is refused there too: the public listener\'s policy')
})

t.test('secret files others can read are warned about at start-up: TLS_KEY, METRICS_TOKEN_FILE, ' +
  'REDIS_PASSWORD_FILE', async (t) => {
  const dir = t.testdir({})
  const tokenFile = path.join(dir, 'token')
  const passwordFile = path.join(dir, 'redis-password')
  for (const file of [tokenFile, passwordFile]) {
    fs.writeFileSync(file, 'a-long-random-secret-0123456789\n')
    fs.chmodSync(file, 0o644)
  }
  // Redis is never reached here (nothing listens on port 1): only the files matter.
  const env = {
    METRICS_PORT: '0',
    METRICS_TOKEN_FILE: tokenFile,
    REDIS_URL: 'redis://127.0.0.1:1',
    REDIS_PASSWORD_FILE: passwordFile,
    REDIS_TIMEOUT_MS: '100'
  }
  const exposed = await startTestServer(t, { ...env, ...await certificateFiles(dir, 0o644) })
  const warnings = exposed.logs.entries().filter((e) => e.event === 'secret_file_exposed')
  t.same(
    warnings.map((e) => e.variable),
    ['TLS_KEY', 'METRICS_TOKEN_FILE', 'REDIS_PASSWORD_FILE'],
    'one warning per exposed file, naming its variable'
  )
  t.match(warnings[0], { level: 40, msg: /key\.pem, which others can read or write \(mode 644; use 600\)/ })
  t.notMatch(exposed.logs.text, 'a-long-random-secret', 'the secrets themselves are never logged')

  for (const file of [tokenFile, passwordFile]) fs.chmodSync(file, 0o600)
  const guarded = await startTestServer(t, { ...env, ...await certificateFiles(dir, 0o600) })
  t.same(guarded.logs.entries().filter((e) => e.event === 'secret_file_exposed'), [], 'owner-only files: no warning')
})

t.test('login outcomes and message outcomes are counted by registry code', async (t) => {
  const server = await startTestServer(t, { METRICS_PORT: '0', LOGIN_RATE_USER_MAX: '2', MESSAGE_BURST: '2' })
  t.equal((await postLogin(server, TEST_USER.username, 'wrong')).status, 401)
  t.equal((await postLogin(server, TEST_USER.username, 'wrong')).status, 401)
  t.equal((await postLogin(server)).status, 429)
  t.equal((await postLogin(server, undefined, undefined, { origin: 'https://evil.example' })).status, 403)
  const other = await startTestServer(t, { METRICS_PORT: '0', MESSAGE_BURST: '2' })
  const sid = await other.login()
  const client = await HeroClient.open(t, other, sid)
  await client.next()
  await client.request({ type: 'get_name', hero: 'nobody' })
  await client.request('not json')
  await client.request({ type: 'get_name', hero: 'hulk' })
  const samples = await scrape(server)
  t.equal(valueOf(samples, 'hero_socket_logins_total', { outcome: 'failed' }), 2)
  t.equal(valueOf(samples, 'hero_socket_logins_total', { outcome: 'rate_limited' }), 1)
  t.equal(valueOf(samples, 'hero_socket_logins_total', { outcome: 'cross_site' }), 1)
  const messages = await scrape(other)
  t.equal(valueOf(messages, 'hero_socket_messages_total', { type: 'get_name', outcome: 'unknown_hero' }), 1)
  t.equal(valueOf(messages, 'hero_socket_messages_total', { type: 'invalid', outcome: 'invalid_json' }), 1)
  t.equal(valueOf(messages, 'hero_socket_messages_total', { type: 'unread', outcome: 'rate_limited' }), 1)
})

t.test('docs/operations.md documents exactly the metrics the service registers, each with its help', async (t) => {
  const metrics = new AppMetrics()
  metrics.observe(
    { openSockets: () => 0, hashingQueueLength: () => 0, ready: () => true, draining: () => false, storeUp: () => true }
  )
  const registered = metrics.registry.getMetricsAsArray().filter((metric) => metric.name.startsWith('hero_socket_'))
  t.ok(registered.length >= 15, `${registered.length} metrics`)
  for (const metric of registered) t.ok(metric.help.trim().length > 0, `${metric.name}: a help text`)
  const table = blockText(fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8'), 'metrics')
  const documented = tableRows(table ?? '').flatMap(
    ([names]) => (names ?? '').replaceAll('`', '').split(/,\s*/)
  ).filter((name) => name.startsWith('hero_socket_'))
  t.same(documented.sort(), registered.map((metric) => metric.name).sort(), 'the generated table, both ways')
  t.same(documentedMetrics().sort(), registered.map((metric) => metric.name).sort(), 'the names other tests read')
})
