// A logout racing many handshakes with its cookie: real ws clients open sockets with one session
// while that session is logged out over HTTPS, to find a socket that slipped past the logout (its
// handshake checked the session just before it ended). What each attempt came to is recorded:
// refused (and with which status), or opened and then closed (how, and how long after the logout).
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import WebSocket from 'ws'
import { waitUntil } from './hero-client.js'
import { postForm } from './http.js'
import { openSession, type TestServer } from './test-server.js'

/** One handshake of the race. */
export interface RaceAttempt {
  /** The refusal's HTTP status, when the gate refused it. */
  refused?: number
  /** performance.now() when the socket opened, when it did. */
  openedAt?: number
  /** The close code and performance.now() when the socket closed. */
  closed?: { code: number, at: number }
}

export interface LogoutRaceResult {
  readonly attempts: readonly RaceAttempt[]
  /** performance.now() when the logout was answered. */
  readonly loggedOutAt: number
}

/**
 * Opens `handshakes` sockets on `socketsOn` with a new session, launched one per event-loop turn,
 * and logs the session out on `logoutOn` once a quarter of them have been launched. Resolves once
 * every attempt was refused or opened and closed, or `settleMs` after the logout (the attempts
 * still open then are reported as such, and terminated).
 */
export async function raceLogoutWithHandshakes (
  logoutOn: TestServer,
  socketsOn: TestServer,
  handshakes: number,
  settleMs: number
): Promise<LogoutRaceResult> {
  const { id: sid } = await openSession(logoutOn)
  const attempts: RaceAttempt[] = []
  const sockets: WebSocket[] = []
  let logout: Promise<number> | undefined
  for (let i = 0; i < handshakes; i++) {
    if (i === Math.floor(handshakes / 4)) {
      logout = postForm(logoutOn, '/logout', {}, { cookie: `__Host-sid=${sid}` }).then(() => performance.now())
    }
    const attempt: RaceAttempt = {}
    attempts.push(attempt)
    sockets.push(openAttempt(socketsOn, sid, attempt))
    await new Promise((resolve) => setImmediate(resolve))
  }
  const loggedOutAt = await (logout as Promise<number>)
  const settled = (): boolean => attempts.every((a) => a.refused !== undefined || a.closed !== undefined)
  await waitUntil(settled, 'every attempt to be refused or closed', settleMs).catch(() => {})
  for (const ws of sockets) ws.terminate()
  return { attempts, loggedOutAt }
}

/**
 * Asserts what a race must come to: every socket that opened was closed with 4401 within
 * `promptMs` of the logout's answer (or of its opening, when later), none stayed open, and every
 * other handshake was refused 401. Returns how many opened, for the test's own comment.
 */
export function assertNoSocketOutlivedLogout (
  t: Test,
  { attempts, loggedOutAt }: LogoutRaceResult,
  promptMs: number,
  name: string
): number {
  const opened = attempts.filter((a) => a.openedAt !== undefined)
  const stayed = opened.filter((a) => a.closed === undefined).length
  t.equal(stayed, 0, `${name}: no socket stayed open after the logout (${opened.length} of ${attempts.length} opened)`)
  t.same(
    opened.filter((a) => a.closed !== undefined && a.closed.code !== 4401),
    [],
    `${name}: each socket that opened was closed with 4401`
  )
  const waits = opened.flatMap((a) => a.closed === undefined
    ? []
    : [a.closed.at - Math.max(
        loggedOutAt,
        a.openedAt ?? 0
      )])
  const slowest = Math.max(0, ...waits)
  t.ok(slowest < promptMs, `${name}: each closed within ${Math.ceil(slowest)} ms of the logout (bound ${promptMs} ms)`)
  t.same(
    attempts.filter((a) => a.openedAt === undefined && a.refused !== 401),
    [],
    `${name}: every other handshake was refused 401`
  )
  return opened.length
}

/** One real ws client with the session cookie, recording what becomes of it. */
function openAttempt (server: TestServer, sid: string, attempt: RaceAttempt): WebSocket {
  const { port } = server.app.server.address() as AddressInfo
  const ws = new WebSocket(
    `wss://127.0.0.1:${port}/ws`,
    { origin: server.origin, headers: { cookie: `__Host-sid=${sid}` }, ca: server.ca }
  )
  ws.on('error', () => {})
  ws.once('unexpected-response', (_req, res) => {
    attempt.refused = res.statusCode ?? 0
    res.resume()
    ws.terminate()
  })
  ws.once('open', () => { attempt.openedAt = performance.now() })
  ws.once('close', (code) => {
    if (attempt.openedAt !== undefined) attempt.closed = { code, at: performance.now() }
    else attempt.refused ??= 0
  })
  return ws
}
