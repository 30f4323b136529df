// The deployment of deploy/: Debian's nginx (TLS, round robin, WebSocket upgrade, X-Forwarded-For)
// in front of two real instances (TLS=off, TRUSTED_PROXIES=127.0.0.1, deploy/instance.env) and one
// Redis (deploy/redis/redis.conf: the instances log in as its ACL user, and Redis denies them
// nothing), driven through nginx by Chromium: log in, ask for heroes, a second tab whose socket is
// on the other instance, a logout in one tab that the other sees, then one instance stopped and
// the page carrying on through the other. Then the operators' view of the same deployment: a
// scripted session through nginx and a scrape of each instance's metrics listener. And nginx's
// TLS policy, offered each weak suite, version and group it must refuse.
import fs from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import tls from 'node:tls'
import t from 'tap'
import type { Page } from 'playwright-core'
import WebSocket from 'ws'
import { FileUsersStore } from '../../src/accounts/file-users-store.js'
import { launchBrowser, loginThroughForm, newWatchedContext } from '../helpers/browser.js'
import { startDeployRedis } from '../helpers/deploy-redis.js'
import { waitUntil } from '../helpers/hero-client.js'
import {
  documentedMetrics,
  parseMetrics,
  SCRIPTED_SESSION_COUNTS,
  valueOf,
  type ExpectedSample,
  type Sample
} from '../helpers/metrics.js'
import { instanceEnv } from '../../scripts/cluster/instance-env.js'
import { Nginx } from '../helpers/nginx.js'
import { signServerCertificate } from '../helpers/private-ca.js'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js'
import { TEST_CA } from '../helpers/test-ca.js'
import { hashFor, TEST_USER } from '../helpers/test-server.js'

/** Sockets opened on an instance so far (its ws_open log lines). */
function opened (instance: ServerProcess): number {
  return instance.stdout().split('\n').filter((line) => line.includes('"event":"ws_open"')).length
}

/** Which instance took the socket `action` opens: the one whose ws_open count went up. */
async function instanceOf (instances: readonly ServerProcess[], action: () => Promise<void>): Promise<number> {
  const before = instances.map(opened)
  await action()
  await waitUntil(
    () => instances.some((instance, i) => opened(instance) > (before[i] ?? 0)),
    'a socket to open on some instance'
  )
  return instances.findIndex((instance, i) => opened(instance) > (before[i] ?? 0))
}

/** The two instances' ports, as each reported it (they listen on port 0). */
function portsOf (instances: readonly ServerProcess[]): [number, number] {
  const [first, second] = instances
  if (first === undefined || second === undefined) throw new Error('two instances expected')
  return [first.port, second.port]
}

/** The port of an instance's operators' listener (METRICS_PORT=0), from its operators_listening line. */
function operatorsPort (instance: ServerProcess): number {
  const line = instance.stdout().split('\n').find((l) => l.includes('"event":"operators_listening"'))
  const url = line === undefined ? undefined : (JSON.parse(line) as { url?: string }).url
  if (url === undefined) throw new Error(`no operators_listening line: ${instance.stdout()}`)
  return Number(new URL(url).port)
}

async function connected (page: Page): Promise<void> {
  await page.locator('#status[data-state="connected"]').waitFor()
}

async function ask (page: Page, hero: string, realName: string): Promise<boolean> {
  await page.click(`#heroes button[data-hero="${hero}"]`)
  return await page.locator(
    `#answers li[data-hero="${hero}"][data-state="done"] .answer-name`
  ).last().textContent() === realName
}

t.test('two instances behind nginx on one Redis, seen from Chromium', async (t) => {
  const redis = await startDeployRedis(t)
  const dir = t.testdir({})
  const usersFile = path.join(dir, 'users.json')
  await FileUsersStore.create(usersFile, [{ username: TEST_USER.username, hash: await hashFor(TEST_USER.password) }])
  // nginx binds its port first (nginx cannot listen on port 0); the instances, on ports of their own, then allow its
  // origin.
  const nginx = await Nginx.start(t)
  const origin = nginx.url
  const instances = await Promise.all([0, 1].map(async (i) => await startServerProcess({
    ...instanceEnv(),
    PORT: '0',
    METRICS_PORT: '0',
    METRICS_TOKEN_FILE: metricsTokenFile(dir),
    ALLOWED_ORIGINS: origin,
    ...redis.env,
    USERS_FILE: usersFile,
    DATA_DIR: path.join(dir, `data-${i}`)
  }, t)))
  t.match(instances[0]?.stdout(), /TLS is OFF/, 'the instances run plain HTTP, and say so')
  await nginx.route(portsOf(instances))
  const browser = await launchBrowser(t)
  const { context, problems } = await newWatchedContext(browser)
  t.teardown(() => context.close())

  // Log in through nginx and ask for a hero.
  const first = await context.newPage()
  const firstOn = await instanceOf(instances, async () => {
    await loginThroughForm(first, nginx.url, TEST_USER.username, TEST_USER.password)
    await connected(first)
  })
  t.ok(await ask(first, 'ironMan', 'Tony Stark'), 'Iron Man is Tony Stark, through nginx')

  // A second tab, until round robin puts its socket on the other instance.
  const second = await context.newPage()
  let secondOn = await instanceOf(
    instances,
    async () => { await second.goto(`${nginx.url}/`); await connected(second) }
  )
  for (let tries = 0; secondOn === firstOn && tries < 8; tries++) {
    secondOn = await instanceOf(instances, async () => { await second.reload(); await connected(second) })
  }
  t.not(secondOn, firstOn, `the tabs' sockets are on different instances (${firstOn + 1} and ${secondOn + 1})`)
  t.ok(await ask(second, 'hulk', 'Bruce Banner'), 'and both answer')

  // nginx replaces what a client claims in X-Forwarded-For with the address it saw.
  const spoofed = await fetch(`${nginx.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.9' },
    body: new URLSearchParams({ username: TEST_USER.username, password: 'not the password' }).toString()
  })
  t.equal(spoofed.status, 401)
  const failures = (): string[] => instances.flatMap((instance) => instance.stdout().split('\n')).filter(
    (line) => line.includes('"event":"login_failed"')
  )
  await waitUntil(() => failures().length > 0, 'the failed login to be logged')
  t.equal(failures().length, 1)
  t.match(failures()[0], '"ip":"127.0.0.1"', 'the instance logs the address nginx saw, not the one the client claimed')

  // Log out in the first tab: the second, on the other instance, shows the end.
  await Promise.all([first.waitForURL(`${nginx.url}/login?notice=logged_out`), first.click('#logout-form button')])
  await second.locator('#status[data-state="ended"]').waitFor()
  await second.waitForURL(`${nginx.url}/login?notice=session_ended`)
  t.equal(
    await second.locator('#login-notice').textContent(),
    'Your session has ended. Please log in again.',
    'the other tab says the session ended'
  )

  // Log in again, then stop the instance the page is on: it reconnects through the other one.
  const on = await instanceOf(instances, async () => {
    await loginThroughForm(first, nginx.url, TEST_USER.username, TEST_USER.password)
    await connected(first)
  })
  const stopping = instances[on]
  const other = instances[1 - on]
  if (stopping === undefined || other === undefined) return
  const before = opened(other)
  stopping.child.kill('SIGTERM')
  t.same(await stopping.exit, { code: 0, signal: null }, 'the stopped instance exits cleanly')
  await waitUntil(() => opened(other) > before, 'the page to reconnect to the other instance', 20_000)
  await connected(first)
  t.ok(await ask(first, 'blackPanther', "T'Challa"), 'and it keeps answering')
  t.same(problems.pageErrors, [], 'no page error')
  t.same(problems.cspViolations, [], 'no CSP violation')
  t.same(problems.consoleErrors.filter(
    (e) => !/WebSocket connection to 'wss:\/\/127\.0\.0\.1:\d+\/ws' failed|status of 50[23]/.test(e)
  ), [], 'no console error but the lost socket')
  t.match(
    fs.readFileSync(path.join(nginx.dir, 'access.log'), 'utf8'),
    /"GET \/ws HTTP\/1\.1" 101 /,
    'nginx logged the upgrades it passed on'
  )
  t.same(
    await redis.redis.client(t).acl('LOG'),
    [],
    'Redis denied the instances nothing: deploy/redis/redis.conf lists every command they send'
  )
})

/** The status nginx answers a WebSocket upgrade from `origin` with (the socket is never opened). */
async function upgradeStatus (url: string, origin: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^https/, 'wss') + '/ws', { origin })
    ws.once('open', () => { ws.terminate(); reject(new Error('the upgrade was accepted')) })
    ws.once('unexpected-response', (_req, res) => { res.resume(); ws.terminate(); resolve(res.statusCode ?? 0) })
    ws.once('error', (error) => { if (ws.readyState !== WebSocket.CLOSED) reject(error) })
  })
}

/** The metrics token of the tests' instances (deploy/instance.env names a file for it). */
const METRICS_TOKEN = 'deployment-test-metrics-token'

/** A METRICS_TOKEN_FILE in `dir` holding METRICS_TOKEN, readable by its owner only. */
function metricsTokenFile (dir: string): string {
  const file = path.join(dir, 'metrics-token')
  fs.writeFileSync(file, `${METRICS_TOKEN}\n`, { mode: 0o600 })
  return file
}

/** One scrape of an instance's metrics listener: the samples and the metric families it declares. */
async function scrapeInstance (port: number): Promise<{ samples: Sample[], families: Set<string> }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}`)
  const text = await res.text()
  const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1] ?? ''))
  return { samples: parseMetrics(text), families }
}

t.test('the metrics listeners of the deployment count a scripted session exactly', async (t) => {
  const redis = await startDeployRedis(t)
  const dir = t.testdir({})
  const usersFile = path.join(dir, 'users.json')
  await FileUsersStore.create(usersFile, [{ username: TEST_USER.username, hash: await hashFor(TEST_USER.password) }])
  const nginx = await Nginx.start(t)
  const origin = nginx.url
  const instances = await Promise.all([0, 1].map(async (i) => await startServerProcess({
    ...instanceEnv(),
    PORT: '0',
    METRICS_PORT: '0',
    METRICS_TOKEN_FILE: metricsTokenFile(dir),
    ALLOWED_ORIGINS: origin,
    ...redis.env,
    USERS_FILE: usersFile,
    DATA_DIR: path.join(dir, `data-${i}`)
  }, t)))
  const metricsPorts = instances.map(operatorsPort)
  await nginx.route(portsOf(instances))
  const browser = await launchBrowser(t)
  const { context, problems } = await newWatchedContext(browser)
  t.teardown(() => context.close())
  /** Both instances' scrapes; `total` adds one sample over the two. */
  const scrapeAll = async (): Promise<{
    scrapes: Array<{ samples: Sample[], families: Set<string> }>,
    total: (name: string, labels?: Record<string, string>) => number
  }> => {
    const scrapes = await Promise.all(metricsPorts.map(scrapeInstance))
    return {
      scrapes,
      total: (name, labels = {}) => scrapes.reduce((sum, { samples }) => sum + valueOf(samples, name, labels), 0)
    }
  }

  // The script: one login, three heroes, one refused origin, one logout.
  const page = await context.newPage()
  await loginThroughForm(page, nginx.url, TEST_USER.username, TEST_USER.password)
  await connected(page)
  t.ok(await ask(page, 'ironMan', 'Tony Stark'))
  t.ok(await ask(page, 'hulk', 'Bruce Banner'))
  t.ok(await ask(page, 'blackPanther', "T'Challa"))
  t.equal(await upgradeStatus(nginx.url, 'https://evil.example'), 403, 'a cross-site upgrade through nginx is refused')
  await Promise.all([page.waitForURL(`${nginx.url}/login?notice=logged_out`), page.click('#logout-form button')])
  let scraped = await scrapeAll()
  for (const deadline = Date.now() + 5000; scraped.total('hero_socket_open_sockets') !== 0 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    scraped = await scrapeAll()
  }
  const { scrapes, total } = scraped

  const exact: ExpectedSample[] = [
    ...SCRIPTED_SESSION_COUNTS,
    ['hero_socket_ready', {}, 2],
    ['hero_socket_redis_up', {}, 2],
    ['hero_socket_redis_reconnects_total', { client: 'commands' }, 0],
    ['hero_socket_redis_reconnects_total', { client: 'pubsub' }, 0]
  ]
  for (const [name, labels, value] of exact) {
    t.equal(
      total(name, labels),
      value,
    `over both instances, ${name}${JSON.stringify(labels)} = ${value}`
    )
  }
  // The page closes its own socket (1000) as the logout form is sent, so the server usually has
  // nothing left to revoke; when the POST overtakes that close frame, it closes the socket with
  // 4401 itself. Either way the two counts agree and there is at most one.
  const revoked = total('hero_socket_revocations_total', { path: 'local' }) + total(
    'hero_socket_revocations_total',
    { path: 'publish' }
  )
  t.ok(revoked <= 1, `at most one revocation (${revoked})`)
  t.equal(total('hero_socket_closes_total', { code: '4401' }), revoked, 'one 4401 close per revocation, none otherwise')
  t.equal(total('hero_socket_revocations_total', { path: 'safety_net' }), 0, 'nothing was left for the safety net')
  t.ok(total('hero_socket_login_duration_seconds_sum') > 0.01, 'the login took argon2\'s time')
  const timed = scrapes.flatMap(({ samples }) => samples.filter(
    (s) => s.name === 'hero_socket_redis_command_duration_seconds_count' && s.value > 0
  ).map((s) => s.labels.operation))
  t.ok(timed.length > 0, `Redis calls are timed by operation (${[...new Set(timed)].join(', ')})`)
  const errors = scrapes.flatMap(
    ({ samples }) => samples.filter((s) => s.name === 'hero_socket_redis_command_errors_total' && s.value > 0)
  )
  t.same(errors, [], 'no Redis command failed')

  // Every metric the operators' guide names is declared by both instances, with the process metrics.
  const families = [
    ...documentedMetrics(),
    'nodejs_eventloop_lag_seconds',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes'
  ]
  for (const [i, { families: declared }] of scrapes.entries()) {
    t.same(families.filter((name) => !declared.has(name)), [], `instance ${i + 1} declares every metric`)
  }
  const lag = scrapes.map(({ samples }) => valueOf(samples, 'nodejs_eventloop_lag_seconds'))
  t.ok(
    lag.every((seconds) => seconds >= 0 && seconds < 1),
    `event-loop lag is sane (${lag.map((s) => s.toFixed(4)).join(', ')} s)`
  )
  const labels = JSON.stringify(
    scrapes.flatMap(({ samples }) => samples.filter((s) => s.name.startsWith('hero_socket_')).map((s) => s.labels))
  )
  for (const secret of [TEST_USER.username, '127.0.0.1', 'evil.example']) {
    t.notMatch(
      labels,
      secret,
    `no label carries ${secret}`
    )
  }
  t.same(problems.pageErrors, [], 'no page error')
  t.same(problems.cspViolations, [], 'no CSP violation')
})

/** What one TLS offer got: the protocol and suite agreed and whether a session ticket came, or the error. */
interface TlsOutcome {
  readonly accepted: boolean
  readonly protocol?: string | null
  readonly cipher?: string
  readonly ticket?: boolean
  readonly error?: string
}

/** Offers `options` (versions, suites, groups) to the TLS server on `port` and reports what came back. */
async function offerTls (port: number, options: tls.ConnectionOptions): Promise<TlsOutcome> {
  return await new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options })
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')))
    socket.once('secureConnect', () => {
      // A TLS 1.2 ticket comes inside the handshake: by now it has arrived, or it never will.
      resolve({
        accepted: true,
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().name,
        ticket: socket.getTLSTicket() !== undefined
      })
      socket.end()
    })
    socket.once('error', (err: Error) => resolve({ accepted: false, error: err.message }))
  })
}

/** Offers nginx must refuse: CBC, static RSA, TLS 1.0 and 1.1, and a group outside the policy. */
const WEAK_OFFERS: ReadonlyArray<[string, tls.ConnectionOptions]> = [
  ['ECDHE-RSA-AES128-SHA (CBC)', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA' }],
  ['AES128-SHA (static RSA, CBC)', { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' }],
  ['AES128-GCM-SHA256 (static RSA: no forward secrecy)', { maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256' }],
  ['TLS 1.0', { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }],
  ['TLS 1.1', { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }],
  [
    'the group secp521r1 alone',
    { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', ecdhCurve: 'secp521r1' }
  ]
]

t.test('nginx keeps the instances\' TLS policy: weak suites, old versions and other groups refused, no tickets, ' +
  'HSTS', async (t) => {
  // An RSA certificate, as many deployments have: with it the static-RSA and ECDHE-RSA CBC suites
  // are ones nginx could agree to, so only its cipher list can refuse them.
  // Signed by the tests' CA, so the clients below verify it.
  const dir = t.testdir({ rsa: {} })
  const rsa = signServerCertificate(TEST_CA.caFile, path.join(dir, 'rsa'), 'rsa')
  const credentials = { cert: fs.readFileSync(rsa.certFile, 'utf8'), key: fs.readFileSync(rsa.keyFile, 'utf8') }

  // The same offers to a server that takes anything, with the same certificate: each one is
  // really made (the client refuses none of them itself), so nginx's refusals below are its own.
  const permissive = tls.createServer(
    { ...credentials, minVersion: 'TLSv1', ciphers: 'ALL:@SECLEVEL=0' },
    (socket) => socket.end()
  )
  await new Promise<void>((resolve) => permissive.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { permissive.close() })
  const permissivePort = (permissive.address() as AddressInfo).port
  for (const [name, options] of WEAK_OFFERS) {
    t.match(
      await offerTls(permissivePort, options),
      { accepted: true },
    `control: ${name} is offered`
    )
  }

  const redis = await startDeployRedis(t)
  const usersFile = path.join(dir, 'users.json')
  await FileUsersStore.create(usersFile, [{ username: TEST_USER.username, hash: await hashFor(TEST_USER.password) }])
  // nginx binds its port first (it cannot listen on port 0); the instance, on a port of its own, then allows its
  // origin.
  const nginx = await Nginx.start(t, { credentials })
  const nginxPort = nginx.port
  const instance = await startServerProcess({
    ...instanceEnv(),
    PORT: '0',
    METRICS_PORT: '',
    ALLOWED_ORIGINS: nginx.url,
    ...redis.env,
    USERS_FILE: usersFile,
    DATA_DIR: path.join(dir, 'data')
  }, t)
  await nginx.route([instance.port, instance.port])

  for (const [name, options] of WEAK_OFFERS) {
    const outcome = await offerTls(nginxPort, options)
    t.match(outcome, { accepted: false }, `${name} is refused by nginx (${outcome.error ?? outcome.cipher ?? ''})`)
  }
  const tls12 = await offerTls(nginxPort, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' })
  t.match(
    tls12,
    { accepted: true, protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' },
    'TLS 1.2 with a forward-secret AEAD suite is accepted'
  )
  t.equal(tls12.ticket, false, 'and no session ticket is issued')
  const tls12Chacha = await offerTls(
    nginxPort,
    { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305', ecdhCurve: 'X25519' }
  )
  t.match(
    tls12Chacha,
    { accepted: true, cipher: 'ECDHE-RSA-CHACHA20-POLY1305', ticket: false },
    'ChaCha20-Poly1305 over X25519 too'
  )
  t.match(await offerTls(nginxPort, {}), { accepted: true, protocol: 'TLSv1.3' }, 'a default client gets TLS 1.3')

  const page = await fetch(`${nginx.url}/login`)
  t.equal(page.status, 200)
  t.equal(
    page.headers.get('strict-transport-security'),
    'max-age=31536000; includeSubDomains',
    'HSTS, once (the instance\'s copy replaced)'
  )
  const tooLarge = await fetch(
    `${nginx.url}/login`,
    { method: 'POST', body: 'x'.repeat(20 * 1024), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
  )
  t.equal(tooLarge.status, 413, 'nginx answers an oversized body itself')
  t.equal(
    tooLarge.headers.get('strict-transport-security'),
    'max-age=31536000; includeSubDomains',
    'and its own answers carry HSTS too'
  )
})
