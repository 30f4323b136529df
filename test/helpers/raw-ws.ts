// Raw TLS clients for the WebSocket tests: a connection that records every byte it receives, one
// request answered and closed (a refusal), and a socket opened by hand whose frames the test writes
// and reads. The handshakes are in raw-handshake.ts, the frames in raw-frames.ts, and the
// assertion every gate refusal must pass in gate-refusals.ts.
import tls from 'node:tls'
import { decodeFrames, encodeFrame, OPCODE, parseClose, type Frame, type FrameOptions } from './raw-frames.js'
import { acceptFor, parseResponseHead, randomKey, upgradeRequest, type UpgradeRequestOptions } from './raw-handshake.js'
import type { TestServer } from './test-server.js'

/** How long a raw exchange may take before the test gives up (ms); generous for shared CI cores. */
export const RAW_TIMEOUT_MS = 10_000

/** One TLS connection to the test server that records every byte it receives. */
export class RawClient {
  readonly socket: tls.TLSSocket
  /** True once the server ended its side (TLS close_notify / FIN). */
  endedByServer = false
  /** True once the socket is fully closed. */
  closed = false
  #data: Buffer = Buffer.alloc(0)
  #waiters = new Set<() => void>()

  private constructor (socket: tls.TLSSocket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#data = Buffer.concat([this.#data, chunk])
      this.#wake()
    })
    socket.on('end', () => {
      this.endedByServer = true
      this.#wake()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closed = true
      this.#wake()
    })
  }

  /** Connects and completes the TLS handshake (trusting the test certificate). */
  static async connect (
    server: TestServer,
    options: tls.ConnectionOptions & { localAddress?: string } = {}
  ): Promise<RawClient> {
    return await new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: server.port,
        secureContext: trusting(server.ca),
        ...options
      })
      socket.once('secureConnect', () => {
        socket.off('error', reject)
        resolve(new RawClient(socket))
      })
      socket.once('error', reject)
    })
  }

  /** Everything received so far. */
  get data (): Buffer {
    return this.#data
  }

  write (data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data)
  }

  /** Resolves once `ready(data)` holds; rejects when the socket closes first or after `timeoutMs`. */
  async waitFor (ready: (data: Buffer) => boolean, timeoutMs = RAW_TIMEOUT_MS, what = 'data'): Promise<void> {
    await this.#until(() => {
      if (ready(this.#data)) return true
      if (this.closed) throw new Error(`socket closed before ${what} (got ${this.#data.length} bytes)`)
      return false
    }, timeoutMs, what)
  }

  /** Resolves once the socket is closed; rejects after `timeoutMs`. */
  async waitClosed (timeoutMs = RAW_TIMEOUT_MS): Promise<void> {
    await this.#until(() => this.closed, timeoutMs, 'the server to close the socket')
  }

  destroy (): void {
    this.socket.destroy()
  }

  async #until (done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        try {
          if (!done()) return
          finish()
          resolve()
        } catch (err) {
          finish()
          reject(err)
        }
      }
      const timer = setTimeout(() => {
        finish()
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
      }, timeoutMs)
      const finish = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(check)
      }
      this.#waiters.add(check)
    })
  }

  #wake (): void {
    for (const waiter of [...this.#waiters]) waiter()
  }
}

const contexts = new Map<string, tls.SecureContext>()
/** One TLS context per trusted certificate: building one per connection costs milliseconds. */
function trusting (ca: string): tls.SecureContext {
  let context = contexts.get(ca)
  if (context === undefined) {
    context = tls.createSecureContext({ ca })
    contexts.set(ca, context)
  }
  return context
}

/** What came back for a raw request the server answered and closed. */
export interface RawRefusal {
  status: number
  headers: Map<string, string[]>
  body: string
  /** Bytes after the response body (a refusal must have none: no WebSocket frame). */
  trailing: Buffer
  /** The server ended the connection (we never closed it). */
  endedByServer: boolean
}

/**
 * Writes `request` on a new TLS connection (from `localAddress`, a loopback address) and reads
 * until the server closes it.
 */
export async function exchange (
  server: TestServer,
  request: string | Buffer,
  timeoutMs = RAW_TIMEOUT_MS,
  localAddress?: string
): Promise<RawRefusal> {
  const client = await RawClient.connect(server, localAddress === undefined ? {} : { localAddress })
  try {
    client.write(request)
    await client.waitClosed(timeoutMs)
  } finally {
    client.destroy()
  }
  const head = parseResponseHead(client.data)
  if (head === undefined) {
    throw new Error(`no HTTP response (got ${JSON.stringify(client.data.toString('latin1').slice(
    0,
    200
  ))})`)
  }
  const length = Number(head.headers.get('content-length')?.[0] ?? 0)
  const rest = client.data.subarray(head.length)
  return {
    status: head.status,
    headers: head.headers,
    body: rest.subarray(0, length).toString('utf8'),
    trailing: rest.subarray(length),
    endedByServer: client.endedByServer
  }
}

/** A socket opened by hand over raw TLS: the 101 is checked, then frames can be read and written. */
export class RawWebSocket {
  readonly client: RawClient
  readonly #headLength: number
  #consumed = 0

  private constructor (client: RawClient, headLength: number) {
    this.client = client
    this.#headLength = headLength
  }

  /** Opens /ws with the session `sid`; rejects unless the server answers 101 with the right accept. */
  static async open (server: TestServer, sid: string, options: UpgradeRequestOptions = {}): Promise<RawWebSocket> {
    const key = randomKey()
    const client = await RawClient.connect(server)
    client.write(upgradeRequest(server, { sid, key, ...options }))
    await client.waitFor((data) => data.includes('\r\n\r\n'), RAW_TIMEOUT_MS, 'the handshake response')
    const head = parseResponseHead(client.data)
    if (head?.status !== 101) {
      client.destroy()
      throw new Error(`expected 101, got ${head?.status ?? 'nothing'}`)
    }
    if (head.headers.get('sec-websocket-accept')?.[0] !== acceptFor(key)) {
      client.destroy()
      throw new Error('wrong Sec-WebSocket-Accept')
    }
    return new RawWebSocket(client, head.length)
  }

  /** Every complete frame received so far. */
  frames (): Frame[] {
    return decodeFrames(this.client.data.subarray(this.#headLength)).frames
  }

  /** The next frame not yet returned by next(). */
  async next (timeoutMs = RAW_TIMEOUT_MS): Promise<Frame> {
    const index = this.#consumed
    await this.client.waitFor(() => this.frames().length > index, timeoutMs, `frame #${index + 1}`)
    this.#consumed++
    return this.frames()[index] as Frame
  }

  /** Reads frames until a close frame; returns its code and reason. */
  async nextClose (timeoutMs = RAW_TIMEOUT_MS): Promise<{ code: number, reason: string }> {
    for (;;) {
      const frame = await this.next(timeoutMs)
      if (frame.opcode === OPCODE.close) return parseClose(frame.payload)
    }
  }

  send (opcode: number, payload?: string | Buffer, options?: FrameOptions): void {
    this.client.write(encodeFrame(opcode, payload, options))
  }

  sendText (text: string): void {
    this.send(OPCODE.text, text)
  }

  destroy (): void {
    this.client.destroy()
  }
}
