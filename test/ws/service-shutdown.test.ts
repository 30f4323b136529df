// Graceful shutdown: app.close() answers new upgrades 503 with Retry-After, closes open sockets
// with 1001, terminates a peer that never finishes the closing handshake within half of
// SHUTDOWN_TIMEOUT_MS, then stops listening. And the real process does the same on SIGTERM.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import t from 'tap'
import WebSocket from 'ws'
import { HeroClient, schemaProblem, waitUntil } from '../helpers/hero-client.js'
import { builtFile, childEnv, ROOT, sessionIdOf } from '../helpers/http.js'
import { assertRefused, watchAccepted } from '../helpers/gate-refusals.js'
import { upgradeRequest } from '../helpers/raw-handshake.js'
import { RawClient, RawWebSocket } from '../helpers/raw-ws.js'
import { changeOneTimePassword, demoPasswordIn, useTestCertificate } from '../helpers/server-process.js'
import { SlowSessionStore } from '../helpers/slow-sessions.js'
import { testCa } from '../helpers/test-ca.js'
import { openSession, startTestServer } from '../helpers/test-server.js'

t.test('app.close(): 1001 to open sockets, 503 to new upgrades, then the listener is gone', async (t) => {
  const server = await startTestServer(t, { SHUTDOWN_TIMEOUT_MS: '4000' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  // A raw socket that never answers the close frame keeps the shutdown in its closing phase.
  const raw = await RawWebSocket.open(server, sid)
  await raw.next()

  const started = Date.now()
  const closing = server.app.close()
  t.same(await client.closed(), { code: 1001, reason: 'server_shutting_down' }, 'the ws client gets 1001')
  t.same(await raw.nextClose(), { code: 1001, reason: 'server_shutting_down' }, 'the raw socket gets 1001')

  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid }),
    { status: 503, reason: 'shutting_down', retryAfter: 5, secrets: [sid] },
    'a new upgrade while closing'
  )
  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid, origins: [] }),
    { status: 503, reason: 'shutting_down', retryAfter: 5 },
    'shutting_down comes before the other checks'
  )
  await t.rejects(
    HeroClient.open(t, server, sid),
    { message: 'refused with 503' },
    'a ws client is refused with 503 too'
  )

  await closing
  const elapsed = Date.now() - started
  t.ok(elapsed < 3500, `app.close() finished in ${elapsed} ms (the silent peer was cut at half the budget)`)
  await raw.client.waitClosed()
  await waitUntil(() => server.app.websocket.connections.size === 0, 'no socket left')
  t.ok(server.logs.entries().some((e) => e.event === 'ws_shutdown'), 'ws_shutdown logged')
  const refused = await new Promise<string>((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca: server.ca })
    socket.once('secureConnect', () => { socket.destroy(); resolve('connected') })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
  })
  t.equal(refused, 'ECONNREFUSED', 'after close nothing listens')
})

t.test('a handshake still in the gate when the shutdown starts gets 503, not a socket', async (t) => {
  const sessions = new SlowSessionStore()
  const server = await startTestServer(t, { SHUTDOWN_TIMEOUT_MS: '4000' }, { sessions })
  const { id: sid } = await openSession(server)
  const accepted = watchAccepted(server)
  const pending = await RawClient.connect(server)
  pending.write(upgradeRequest(server, { sid }))
  await waitUntil(() => sessions.waiting === 1, 'the handshake waiting for the session store')
  const closing = server.app.close()
  try {
    // With no open socket the closing phase is short: the listener stops, the pending handshake stays.
    await waitUntil(() => !server.app.server.listening, 'the listener to stop')
  } finally {
    sessions.release()
  }
  await pending.waitClosed()
  t.match(
    pending.data.toString('latin1'),
    /^HTTP\/1\.1 503 [^]*Retry-After: 5\r\n/,
    'the pending handshake gets 503 with Retry-After'
  )
  await closing
  t.equal(accepted.count, 0, 'no socket was accepted')
  t.equal(server.app.websocket.stats.get('shutting_down'), 1, 'counted as shutting_down')
})

t.test('a clean shutdown with only well-behaved clients is quick', async (t) => {
  const server = await startTestServer(t, { SHUTDOWN_TIMEOUT_MS: '10000' })
  const sid = await server.login()
  const clients = [await HeroClient.open(t, server, sid), await HeroClient.open(t, server, sid)]
  for (const client of clients) await client.next()
  const started = Date.now()
  await server.app.close()
  for (const client of clients) t.equal((await client.closed()).code, 1001)
  t.ok(Date.now() - started < 4000, 'no waiting for the deadline')
})

t.test('the real process: SIGTERM closes the socket with 1001 and exits 0', async (t) => {
  const file = builtFile('dist/src/server.js')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-socket-process-'))
  const child = spawn(process.execPath, [file], {
    cwd: ROOT,
    env: childEnv({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: path.join(dir, 'data'),
      CERTS_DIR: useTestCertificate(path.join(dir, 'certs')),
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '5000'
    }),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    fs.rmSync(dir, { recursive: true, force: true })
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })

  // The demo password is written as soon as the users file exists; wait for the listener too,
  // and read the port it reports (it listens on port 0).
  const { password, port } = await new Promise<{ password: string, port: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not listening with a demo password within 30 s; stderr: ${stderr}`)),
      30_000
    )
    const look = (): void => {
      const written = demoPasswordIn(path.join(dir, 'data'))
      const listening = /Server listening at https:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)
      if (written === '' || listening?.[1] === undefined || !stdout.includes('"allowed origins"')) return
      clearTimeout(timer)
      resolve({ password: written, port: Number(listening[1]) })
    }
    child.stdout.on('data', look)
    void exited.then(() => reject(new Error(`exited early; stderr: ${stderr}`)))
  })
  const origin = `https://127.0.0.1:${port}`
  const res = await fetch(`${origin}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'demo', password }).toString()
  })
  t.equal(res.status, 303, 'the demo user logs in')
  // The demo password is one-time: it opens only the change form, which gives the session its sockets.
  const continued = await changeOneTimePassword(origin, `__Host-sid=${sessionIdOf(res) ?? ''}`, password)
  const sid = continued.replace(/^__Host-sid=/, '')

  const { ca } = testCa()
  const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { origin, headers: { cookie: `__Host-sid=${sid}` }, ca })
  const closed = new Promise<{ code: number, reason: string }>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
  const greeting = await new Promise<Record<string, unknown>>((resolve, reject) => {
    ws.once('message', (data) => resolve(JSON.parse(data.toString()) as Record<string, unknown>))
    ws.once('error', reject)
  })
  t.match(greeting, { type: 'user_authorized', user: { username: 'demo' } })
  t.equal(schemaProblem(greeting), undefined, 'user_authorized matches its schema')

  const started = Date.now()
  child.kill('SIGTERM')
  t.same(await closed, { code: 1001, reason: 'server_shutting_down' }, 'the socket is closed with 1001')
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref())
  const exit = await Promise.race([exited, timeout])
  t.same(exit, { code: 0, signal: null }, `the process exits 0 (after ${Date.now() - started} ms)`)
  t.ok(Date.now() - started < 10_000, 'within SHUTDOWN_TIMEOUT_MS and some')
  t.match(stdout, /"event":"ws_shutdown"/, 'ws_shutdown logged')
  t.notOk(stdout.includes(sid), 'the session id is not in the output')
  t.equal(stderr.trim(), '', 'nothing on stderr')
})
