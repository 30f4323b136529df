// HTTP connection hygiene and TLS policy, from outside: a client that sends its headers slowly is
// cut within seconds, an idle keep-alive connection is closed, a thousand slow clients do not
// keep others waiting; TLS 1.2 offers only forward-secret AEAD suites (openssl s_client offering
// each weak suite and version is refused), TLS_MIN_VERSION=TLSv1.3 refuses 1.2, TLS_GROUPS and
// TLS_CIPHERS choose the groups and suites, and the development certificate's key is for
// signatures only.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import tls from 'node:tls'
import t from 'tap'
import { postLogin } from './../helpers/http.js'
import { loadConfig } from '../../src/config/config.js'
import { generateDevelopmentCertificate } from '../../src/config/tls-credentials.js'
import { TEST_CA } from '../helpers/test-ca.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

/** Opens a TLS connection from `localAddress`; resolves once the handshake is done. */
function connect (server: TestServer, localAddress = '127.0.0.1', session?: Buffer): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const options: tls.ConnectionOptions & { localAddress: string } = {
      host: '127.0.0.1',
      port: server.port,
      localAddress,
      ...(session === undefined ? {} : { session })
    }
    const socket = tls.connect(options)
    socket.once('secureConnect', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Milliseconds until the server closes `socket` (or `limitMs`, then -1). */
function closedWithin (socket: tls.TLSSocket, limitMs: number): Promise<number> {
  const started = Date.now()
  return new Promise((resolve) => {
    if (socket.destroyed) resolve(0)
    const timer = setTimeout(() => resolve(-1), limitMs)
    socket.once('close', () => { clearTimeout(timer); resolve(Date.now() - started) })
    socket.on('error', () => {})
    socket.resume()
  })
}

t.test('a client that sends its headers slowly is cut after HTTP_HEADERS_TIMEOUT_MS', async (t) => {
  const server = await startTestServer(t, { HTTP_HEADERS_TIMEOUT_MS: '1500' })
  const socket = await connect(server)
  socket.write('GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n')
  const drip = setInterval(() => { if (!socket.destroyed) socket.write('X-Slow: a\r\n') }, 200)
  t.teardown(() => clearInterval(drip))
  const ms = await closedWithin(socket, 6000)
  t.ok(ms > 0 && ms < 3500, `closed ${ms} ms after the first byte (timeout 1.5 s, checked every second)`)
})

t.test('an idle keep-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS', async (t) => {
  const server = await startTestServer(t, { HTTP_KEEP_ALIVE_TIMEOUT_MS: '600' })
  const socket = await connect(server)
  let response = ''
  socket.setEncoding('utf8').on('data', (s: string) => { response += s })
  socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n')
  const ms = await closedWithin(socket, 5000)
  t.match(response, /^HTTP\/1\.1 200 OK\r\n/, 'the request is answered')
  t.ok(ms > 0 && ms < 3000, `then the idle connection is closed (${ms} ms)`)
})

t.test('a thousand slow clients at once: others are still answered promptly, and the slow ones are cut', async (t) => {
  const server = await startTestServer(t, {
    HTTP_HEADERS_TIMEOUT_MS: '4000',
    RATE_LIMIT_MAX: '100000',
    LOGIN_RATE_IP_MAX: '1000'
  })
  let session: Buffer | undefined
  const slow: tls.TLSSocket[] = []
  for (let i = 0; i < 1000; i++) {
    const socket = await connect(server, `127.0.${2 + Math.floor(i / 250)}.${1 + (i % 250)}`, session)
    socket.once('session', (s: Buffer) => { session = s })
    socket.on('error', () => {})
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')
    slow.push(socket)
  }
  t.teardown(() => { for (const socket of slow) socket.destroy() })
  const times: number[] = []
  for (let i = 0; i < 10; i++) {
    const started = Date.now()
    t.equal((await fetch(`${server.url}/healthz`)).status, 200)
    times.push(Date.now() - started)
  }
  const login = Date.now()
  t.equal((await postLogin(server)).status, 303, 'a login goes through')
  t.comment(`with 1000 slow clients open: /healthz in ${times.join(', ')} ms; a login in ${Date.now() - login} ms`)
  t.ok(Math.max(...times) < 1000, 'every request answered within a second')
  const closed = await Promise.all(slow.map(async (socket) => await closedWithin(socket, 10_000)))
  t.equal(closed.filter((ms) => ms < 0).length, 0, 'every slow client was cut by the server')
})

/**
 * Runs openssl s_client against the server (in this process, so not spawnSync) with `args`;
 * true when the TLS handshake succeeded, false when it was refused.
 */
async function opensslConnects (server: TestServer, args: string[]): Promise<boolean> {
  const stdout = await new Promise<string>((resolve, reject) => {
    // Verifying the certificate against the tests' CA, and giving up when it does not verify.
    const verify = ['-CAfile', TEST_CA.caFile, '-verify_return_error', '-verify_ip', '127.0.0.1']
    const child = spawn(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', ...verify, ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] }
    )
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
    child.stderr.resume()
    const timer = setTimeout(
      () => { child.kill('SIGKILL'); reject(new Error(`openssl ${args.join(' ')} did not finish`)) },
      10_000
    )
    child.on('close', () => { clearTimeout(timer); resolve(out) })
    child.stdin.end()
  })
  const ok = /Cipher is (?!\(NONE\))\S+/.test(stdout)
  if (!ok && !/Cipher is \(NONE\)/.test(stdout)) {
    throw new Error(`openssl ${args.join(' ')}: neither connected nor refused:\n${stdout}`)
  }
  return ok
}

t.test('TLS 1.2 offers only forward-secret AEAD suites; weak suites and old versions are refused', async (t) => {
  const server = await startTestServer(t)
  t.ok(await opensslConnects(server, ['-tls1_3']), 'TLS 1.3 connects')
  t.ok(
    await opensslConnects(server, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256']),
    'TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256 connects'
  )
  t.ok(
    await opensslConnects(server, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-CHACHA20-POLY1305']),
    'and with ECDHE-ECDSA-CHACHA20-POLY1305'
  )
  for (const weak of [
    'ECDHE-ECDSA-AES128-SHA',
    'ECDHE-ECDSA-AES256-SHA384',
    'ECDHE-ECDSA-AES128-SHA256',
    'ECDHE-ECDSA-AES128-CCM8',
    'ECDHE-ECDSA-AES256-CCM8',
    'AES128-GCM-SHA256',
    'AES128-SHA'
  ]) {
    t.notOk(await opensslConnects(server, ['-tls1_2', '-cipher', weak]), `TLS 1.2 offering only ${weak} is refused`)
  }
  for (const old of ['-tls1_1', '-tls1']) {
    t.notOk(
      await opensslConnects(server, [old, '-cipher', 'ALL:@SECLEVEL=0']),
      `${old} is refused`
    )
  }
})

t.test('TLS_MIN_VERSION=TLSv1.3 refuses TLS 1.2', async (t) => {
  const server = await startTestServer(t, { TLS_MIN_VERSION: 'TLSv1.3' })
  t.ok(await opensslConnects(server, ['-tls1_3']), 'TLS 1.3 connects')
  t.notOk(await opensslConnects(server, ['-tls1_2']), 'TLS 1.2 is refused')
})

t.test('the development certificate\'s key usage is an ECDSA server certificate\'s: signatures only', async (t) => {
  const file = path.join(t.testdir({}), 'cert.pem')
  fs.writeFileSync(file, (await generateDevelopmentCertificate()).cert)
  const text = spawnSync('openssl', ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8' }).stdout
  t.match(text, /Public Key Algorithm: id-ecPublicKey/)
  t.match(text, /X509v3 Key Usage:[^\n]*\n\s*Digital Signature\s*\n/, 'Digital Signature')
  t.notMatch(text, /Key Encipherment/, 'no Key Encipherment')
  t.match(text, /TLS Web Server Authentication/)
})

/** Whether a handshake offering only `options` (versions, suites, groups) is accepted by the server on `port`. */
async function handshakeAccepted (port: number, options: tls.ConnectionOptions): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options })
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')))
    socket.once('secureConnect', () => { resolve(true); socket.end() })
    socket.once('error', () => resolve(false))
  })
}

t.test('TLS_GROUPS and TLS_CIPHERS are settings: a group OpenSSL knows is used with no code change', async (t) => {
  const onlyP521 = { ecdhCurve: 'secp521r1' }
  const byDefault = await startTestServer(t)
  t.ok(await handshakeAccepted(byDefault.port, { ecdhCurve: 'X25519' }), 'the default groups: X25519 is accepted')
  t.notOk(await handshakeAccepted(byDefault.port, onlyP521), 'and a client offering only P-521 is refused')

  const p521 = await startTestServer(t, { TLS_GROUPS: 'secp521r1' })
  t.ok(await handshakeAccepted(p521.port, onlyP521), 'TLS_GROUPS=secp521r1: P-521 is accepted')
  t.notOk(
    await handshakeAccepted(p521.port, { ecdhCurve: 'X25519' }),
    'and X25519 refused: the setting is the whole list'
  )

  // The post-quantum hybrid needs OpenSSL 3.5 (Node 24 bundles it; Debian's Node 20 links 3.0).
  const hybrid = 'X25519MLKEM768'
  let known = true
  try { tls.createSecureContext({ ecdhCurve: hybrid }) } catch { known = false }
  if (known) {
    const pq = await startTestServer(t, { TLS_GROUPS: `${hybrid}:X25519` })
    t.ok(
      await handshakeAccepted(pq.port, { ecdhCurve: hybrid }),
      `OpenSSL ${process.versions.openssl} knows ${hybrid}: a client offering only it is accepted`
    )
  } else {
    let refused: unknown
    try { loadConfig({ TLS_GROUPS: `${hybrid}:X25519` }) } catch (err) { refused = err }
    t.match(
      refused,
      { name: 'ConfigError', variable: 'TLS_GROUPS' },
      `OpenSSL ${process.versions.openssl} does not know ${hybrid}: start-up stops naming TLS_GROUPS`
    )
  }

  const aes256 = await startTestServer(t, { TLS_CIPHERS: 'TLS_AES_256_GCM_SHA384:ECDHE-ECDSA-AES256-GCM-SHA384' })
  t.ok(
    await handshakeAccepted(aes256.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }),
    'TLS_CIPHERS: a listed TLS 1.2 suite is accepted'
  )
  t.notOk(
    await handshakeAccepted(aes256.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
    'one left out is refused'
  )
  t.ok(
    await handshakeAccepted(aes256.port, { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384' }),
    'TLS 1.3 with the listed suite is accepted'
  )
  t.notOk(
    await handshakeAccepted(aes256.port, { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' }),
    'one left out is refused'
  )
})
