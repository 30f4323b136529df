// The load generator's sockets: opening one the way a page does (Origin, cookie, upgrade, then the
// server's first message), opening many a few at a time, and closing them with the closing
// handshake completed. Every wait is bounded.
import fs from 'node:fs'
import tls from 'node:tls'
import WebSocket from 'ws'
import type { Dialect } from './client-dialects.js'
import type { Target } from './messages.js'

/** Longest wait for a socket to open and deliver its first message, in milliseconds. */
export const CONNECT_TIMEOUT_MS = 15_000
/** Sockets opened at once when a task needs many. */
const OPEN_CONCURRENCY = 64
/** The close code a socket reports when the closing handshake did not complete (RFC 6455). */
export const ABNORMAL_CLOSE = 1006

// Masking guards proxies from a hostile page; on loopback a zero mask keeps the generator cheap.
// ws allocates the mask buffer zero-filled and only this function writes it: leaving it alone
// keeps it zero, and ws skips masking an all-zero mask.
const zeroMask = (): void => {}

const clientTlsContext = tls.createSecureContext()

let caCache: { file: string, pem: string } | undefined
/** The PEM the target's certificate is trusted with (read once), for https requests. */
export function caFor (target: Target): string | undefined {
  if (target.caFile === undefined) return undefined
  if (caCache?.file !== target.caFile) caCache = { file: target.caFile, pem: fs.readFileSync(target.caFile, 'utf8') }
  return caCache.pem
}

/** Opens one socket and resolves once the server's first application message arrived. */
export function connect (target: Target, dialect: Dialect): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // ws hands TLS options through to tls.connect. The server's certificate is our own, on
    // loopback: checking it (chain, then Node's getPeerCertificate for the host name) and a TLS
    // context per connection would cost the one-core generator more than the handshake costs
    // the server. The server's side of TLS is unchanged.
    const options: WebSocket.ClientOptions & { secureContext: tls.SecureContext } = {
      headers: { origin: target.origin, cookie: target.cookie },
      perMessageDeflate: false,
      secureContext: clientTlsContext,
      rejectUnauthorized: false,
      generateMask: zeroMask,
      skipUTF8Validation: true,
      handshakeTimeout: CONNECT_TIMEOUT_MS
    }
    const ws = new WebSocket(target.socketBase + dialect.path, options)
    const fail = (err: Error): void => {
      clearTimeout(timer)
      ws.removeAllListeners('message')
      ws.terminate()
      reject(err)
    }
    const timer = setTimeout(() => fail(new Error('no first message in time')), CONNECT_TIMEOUT_MS)
    ws.on('message', (data) => {
      const frame = dialect.read(String(data))
      if (frame.kind === 'answer') ws.send(frame.text)
      else if (frame.kind === 'error') fail(new Error(`refused: ${frame.detail}`))
      else if (frame.kind === 'welcome') {
        clearTimeout(timer)
        ws.removeAllListeners('message')
        ws.removeAllListeners('close')
        ws.removeAllListeners('error')
        ws.on('error', () => {})
        resolve(ws)
      }
    })
    ws.on('error', fail)
    ws.on('close', (code) => fail(new Error(`closed with ${code} before the first message`)))
  })
}

/**
 * Runs `job(index)` for indices 0 … count - 1, `concurrency` at a time; a job that throws is
 * counted, not rethrown.
 * @returns how many jobs threw, and the last message
 */
export async function inPool (
  count: number, concurrency: number, job: (index: number) => Promise<void>
): Promise<{ errors: number, lastError: string | undefined }> {
  let next = 0
  let errors = 0
  let lastError: string | undefined
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++
      try {
        await job(index)
      } catch (err) {
        errors++
        lastError = (err as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return { errors, lastError }
}

/** Opens `count` sockets, `concurrency` at a time; the failures are counted, not thrown. */
export async function openMany (
  target: Target, dialect: Dialect, count: number, concurrency = OPEN_CONCURRENCY
): Promise<{ sockets: WebSocket[], errors: number, lastError: string | undefined }> {
  const sockets: WebSocket[] = []
  const { errors, lastError } = await inPool(count, concurrency, async () => {
    sockets.push(await connect(target, dialect))
  })
  return { sockets, errors, lastError }
}

/**
 * Closes a socket with 1000 and waits until the closing handshake is complete: the server's close
 * frame has arrived and the TCP connection has closed (ws's 'close' event).
 * @returns the code of the server's close frame; ABNORMAL_CLOSE when it sent none, or when nothing
 *   came back within `timeoutMs` (the socket is then terminated)
 */
export function closeAndWait (ws: WebSocket, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve(ABNORMAL_CLOSE)
    const timer = setTimeout(() => { ws.terminate(); resolve(ABNORMAL_CLOSE) }, timeoutMs)
    ws.once('close', (code) => { clearTimeout(timer); resolve(code) })
    ws.close(1000)
  })
}

export async function closeAll (sockets: readonly WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) => closeAndWait(ws)))
}

/** Opens `count` sockets or none: when one fails, the others are closed and the failure thrown. */
export async function requireOpen (target: Target, dialect: Dialect, count: number): Promise<WebSocket[]> {
  const { sockets, errors, lastError } = await openMany(target, dialect, count)
  if (errors > 0) {
    await closeAll(sockets)
    throw new Error(`${errors} of ${count} sockets failed to open (${lastError ?? ''})`)
  }
  return sockets
}
