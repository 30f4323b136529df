// The assertion every gate refusal must pass: the status and headers, and that nothing got
// through (no 'connection', no bytes after the response, counted and logged once, no secret in
// the logs); and the counters it reads.
import type { Test } from 'tap'
import type { GateRejection } from '../../src/errors.js'
import { exchange, RAW_TIMEOUT_MS, type RawRefusal } from './raw-ws.js'
import type { TestServer } from './test-server.js'

/** Counts sockets that get past the gate (ws 'connection' events) from now on, until stop(). */
export function watchAccepted (server: TestServer): { count: number, stop: () => void } {
  const onConnection = (): void => { accepted.count++ }
  const accepted = { count: 0, stop: () => { server.app.websocket.wss.off('connection', onConnection) } }
  server.app.websocket.wss.on('connection', onConnection)
  return accepted
}

/** The `ws_rejected` log entries, optionally of one reason. */
export function rejectionLogs (server: TestServer, reason?: GateRejection): Array<Record<string, unknown>> {
  return server.logs.entries().filter((e) => e.event === 'ws_rejected' && (reason === undefined || e.reason === reason))
}

/** What assertRefused() expects of a gate refusal. */
export interface ExpectedRefusal {
  status: number
  reason: GateRejection
  /** Expected Retry-After seconds, or true for "any positive integer". */
  retryAfter?: number | true
  /** Strings that must not appear in the logs (session ids, cookies). */
  secrets?: readonly string[]
  /** The loopback address the client connects from (each simulated client has its own). */
  from?: string
}

/**
 * Sends `request` over raw TLS and asserts the refusal and that nothing got through: the status,
 * no bytes after the response, the server closed the socket, no 'connection', the reason counted
 * and logged once, no secret in the logs.
 */
export async function assertRefused (
  t: Test,
  server: TestServer,
  request: string | Buffer,
  expected: ExpectedRefusal,
  name: string = expected.reason
): Promise<RawRefusal> {
  const accepted = watchAccepted(server)
  const counted = server.app.websocket.stats.get(expected.reason)
  const logged = rejectionLogs(server, expected.reason).length
  const res = await exchange(server, request, RAW_TIMEOUT_MS, expected.from).finally(accepted.stop)
  t.equal(res.status, expected.status, `${name}: HTTP ${expected.status}`)
  t.equal(res.headers.get('connection')?.[0], 'close', `${name}: Connection: close`)
  t.equal(res.trailing.length, 0, `${name}: no bytes after the response`)
  t.ok(res.endedByServer, `${name}: the server closed the socket`)
  t.equal(accepted.count, 0, `${name}: no 'connection'`)
  t.equal(server.app.websocket.stats.get(expected.reason), counted + 1, `${name}: counted as ${expected.reason}`)
  const logs = rejectionLogs(server, expected.reason)
  t.equal(logs.length, logged + 1, `${name}: logged as ws_rejected ${expected.reason}`)
  t.equal(logs.at(-1)?.status, expected.status, `${name}: the log names the status`)
  if (expected.retryAfter === undefined) {
    t.notOk(res.headers.has('retry-after'), `${name}: no Retry-After`)
  } else {
    const retryAfter = Number(res.headers.get('retry-after')?.[0])
    if (expected.retryAfter === true) {
      t.ok(
        Number.isInteger(retryAfter) && retryAfter >= 1,
      `${name}: Retry-After ${retryAfter}`
      )
    } else t.equal(retryAfter, expected.retryAfter, `${name}: Retry-After ${expected.retryAfter}`)
  }
  for (const secret of [...(expected.secrets ?? []), '__Host-sid=']) {
    t.notOk(
      server.logs.text.includes(secret),
      `${name}: ${secret === '__Host-sid=' ? 'no cookie' : 'no session id'} in the logs`
    )
  }
  return res
}
