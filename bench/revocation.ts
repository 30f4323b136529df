// The revocation task of the load generator: how long a logout on one hero-socket instance takes
// to close the session's socket on another instance of the same Redis. Sessions are logged in on
// A, each gets one socket on B, then each is logged out on A in turn (one at a time, so no logout
// waits behind another) and the time from sending POST /logout to B's 4401 close is recorded.
import http from 'node:http'
import https from 'node:https'
import { createHistogram, performance } from 'node:perf_hooks'
import type WebSocket from 'ws'
import { dialectFor } from './client-dialects.js'
import { caFor, closeAll, connect, inPool } from './client-sockets.js'
import { login, logout, type FormTarget } from './http-login.js'
import type { RevocationResult, Target, Task } from './messages.js'
import { latencyOf, recordMs, recordSince } from './window-meter.js'

/** The close code of an ended session (errors.ts: session_ended). */
const SESSION_ENDED_CLOSE = 4401
/**
 * Longest wait for one 4401 (ms): past the instances' safety net (SESSION_RECHECK_INTERVAL_MS,
 * 5 s by default), so a lost publish shows as a slow close rather than a missing one.
 */
const CLOSE_WAIT_MS = 12_000
/** Sockets opened on B at once. */
const OPEN_CONCURRENCY = 32

/**
 * Resolves with the code of the socket's close and when it came (performance.now()), or
 * undefined after `timeoutMs`.
 */
function closeOf (ws: WebSocket, timeoutMs: number): Promise<{ code: number, at: number } | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs)
    ws.once('close', (code: number) => {
      const at = performance.now()
      clearTimeout(timer)
      resolve({ code, at })
    })
  })
}

/** Logs in `count` times on A, `concurrency` at a time. */
async function logInMany (a: FormTarget, task: Extract<Task, { kind: 'revocation' }>): Promise<string[]> {
  const ids: string[] = []
  const { errors, lastError } = await inPool(task.sessions, task.concurrency, async () => {
    ids.push(await login({ ...a, username: task.username, password: task.password }))
  })
  if (errors > 0) throw new Error(`${errors} of ${task.sessions} logins failed (${lastError ?? ''})`)
  return ids
}

/** One socket on B per session, in the order of `ids`. */
async function openOnB (b: Target, ids: readonly string[]): Promise<WebSocket[]> {
  const dialect = dialectFor(b.kind)
  const sockets: WebSocket[] = new Array(ids.length)
  const { errors, lastError } = await inPool(ids.length, OPEN_CONCURRENCY, async (i) => {
    sockets[i] = await connect({ ...b, cookie: `__Host-sid=${ids[i] as string}` }, dialect)
  })
  if (errors > 0) {
    await closeAll(sockets.filter((ws) => ws !== undefined))
    throw new Error(`${errors} of ${ids.length} sockets on B failed to open (${lastError ?? ''})`)
  }
  return sockets
}

/** Runs the revocation task: `target` is instance A (logins, logouts), task.socketsOn instance B. */
export async function revocation (
  target: Target, task: Extract<Task, { kind: 'revocation' }>
): Promise<RevocationResult> {
  const ca = caFor(target)
  const agent = target.httpBase.startsWith('https:')
    ? new https.Agent({ keepAlive: true, maxSockets: task.concurrency, ca })
    : new http.Agent({ keepAlive: true, maxSockets: task.concurrency })
  const a: FormTarget = { httpBase: target.httpBase, origin: target.origin, ca, agent }
  const toClose = createHistogram()
  const toAnswer = createHistogram()
  let closed = 0
  let errors = 0
  let lastError: string | undefined
  const failed = (message: string): void => { errors++; lastError = message }
  let sockets: WebSocket[] = []
  try {
    const ids = await logInMany(a, task)
    sockets = await openOnB(task.socketsOn, ids)
    for (const [i, ws] of sockets.entries()) {
      const close = closeOf(ws, CLOSE_WAIT_MS)
      const sentAt = performance.now()
      try {
        await logout(a, ids[i] as string)
        recordSince(toAnswer, sentAt)
      } catch (err) {
        failed((err as Error).message)
      }
      const got = await close
      if (got?.code === SESSION_ENDED_CLOSE) {
        recordMs(toClose, got.at - sentAt)
        closed++
      } else {
        failed(got === undefined
          ? `no close within ${CLOSE_WAIT_MS} ms`
          : `closed with ${got.code}, not ${SESSION_ENDED_CLOSE}`)
      }
    }
  } finally {
    agent.destroy()
    await closeAll(sockets)
  }
  return {
    sessions: task.sessions,
    closed,
    latency: latencyOf(toClose),
    logout: latencyOf(toAnswer),
    errors,
    ...(lastError === undefined ? {} : { lastError })
  }
}
