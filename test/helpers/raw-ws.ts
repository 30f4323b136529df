// Raw TLS clients for the WebSocket tests: hand-made HTTP/1.1 upgrade requests, hand-masked
// frames, a reader that splits what the server sends into its HTTP response and its frames, and
// the assertion every gate refusal must pass (the status, and that nothing got through).
import { createHash, randomBytes } from 'node:crypto'
import tls from 'node:tls'
import type { Test } from 'tap'
import type { GateRejection } from '../../src/errors.js'
import type { TestServer } from './test-server.js'

/** The GUID of RFC 6455 section 1.3, for Sec-WebSocket-Accept. */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** Frame opcodes (RFC 6455 section 5.2). */
export const OPCODE = Object.freeze({ continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa })

/** How long a raw exchange may take before the test gives up (ms); generous for shared CI cores. */
export const RAW_TIMEOUT_MS = 10_000

/** What upgradeRequest() writes; every field defaults to a valid handshake from our origin. */
export interface UpgradeRequestOptions {
  /** Request target (default `/ws`). */
  path?: string
  /** Default `GET`. */
  method?: string
  /** One Origin header per entry (default: the server's own origin); `[]` sends none. */
  origins?: readonly string[]
  /** The session id for `Cookie: __Host-sid=<sid>`. */
  sid?: string
  /** A whole Cookie header value (wins over `sid`). */
  cookie?: string
  /** Sec-WebSocket-Key (default: 16 random bytes, base64); null leaves it out. */
  key?: string | null
  /** Sec-WebSocket-Version (default `13`); null leaves it out. */
  version?: string | null
  /** Upgrade header (default `websocket`); null leaves it out. */
  upgrade?: string | null
  /** Extra header lines, sent as given. */
  headers?: ReadonlyArray<readonly [string, string]>
}

/** A new random Sec-WebSocket-Key. */
export function randomKey (): string {
  return randomBytes(16).toString('base64')
}

/** The Sec-WebSocket-Accept a server must answer for `key`. */
export function acceptFor (key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64')
}

/** An HTTP/1.1 upgrade request as the bytes a client would write. */
export function upgradeRequest (server: TestServer, options: UpgradeRequestOptions = {}): string {
  const lines = [`${options.method ?? 'GET'} ${options.path ?? '/ws'} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`]
  if (options.upgrade !== null) lines.push(`Upgrade: ${options.upgrade ?? 'websocket'}`)
  lines.push('Connection: Upgrade')
  if (options.key !== null) lines.push(`Sec-WebSocket-Key: ${options.key ?? randomKey()}`)
  if (options.version !== null) lines.push(`Sec-WebSocket-Version: ${options.version ?? '13'}`)
  for (const origin of options.origins ?? [server.origin]) lines.push(`Origin: ${origin}`)
  const cookie = options.cookie ?? (options.sid === undefined ? undefined : `__Host-sid=${options.sid}`)
  if (cookie !== undefined) lines.push(`Cookie: ${cookie}`)
  for (const [name, value] of options.headers ?? []) lines.push(`${name}: ${value}`)
  return lines.join('\r\n') + '\r\n\r\n'
}

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
  static async connect (server: TestServer, options: tls.ConnectionOptions & { localAddress?: string } = {}): Promise<RawClient> {
    return await new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: server.port, secureContext: trusting(server.ca), ...options })
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

/** The status line and headers of an HTTP response. */
export interface ResponseHead {
  status: number
  /** Lower-case header names, every value as sent. */
  headers: Map<string, string[]>
  /** Bytes of the head, the blank line included. */
  length: number
}

/** Parses the status line and headers at the start of `data`; undefined until they are complete. */
export function parseResponseHead (data: Buffer): ResponseHead | undefined {
  const end = data.indexOf('\r\n\r\n')
  if (end === -1) return undefined
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n')
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine)
  if (match === null) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`)
  const headers = new Map<string, string[]>()
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim().toLowerCase()
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()])
  }
  return { status: Number(match[1]), headers, length: end + 4 }
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

/** Writes `request` on a new TLS connection (from `localAddress`, a loopback address) and reads until the server closes it. */
export async function exchange (server: TestServer, request: string | Buffer, timeoutMs = RAW_TIMEOUT_MS, localAddress?: string): Promise<RawRefusal> {
  const client = await RawClient.connect(server, localAddress === undefined ? {} : { localAddress })
  try {
    client.write(request)
    await client.waitClosed(timeoutMs)
  } finally {
    client.destroy()
  }
  const head = parseResponseHead(client.data)
  if (head === undefined) throw new Error(`no HTTP response (got ${JSON.stringify(client.data.toString('latin1').slice(0, 200))})`)
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
export async function assertRefused (t: Test, server: TestServer, request: string | Buffer, expected: ExpectedRefusal, name: string = expected.reason): Promise<RawRefusal> {
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
    if (expected.retryAfter === true) t.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `${name}: Retry-After ${retryAfter}`)
    else t.equal(retryAfter, expected.retryAfter, `${name}: Retry-After ${expected.retryAfter}`)
  }
  for (const secret of [...(expected.secrets ?? []), '__Host-sid=']) {
    t.notOk(server.logs.text.includes(secret), `${name}: ${secret === '__Host-sid=' ? 'no cookie' : 'no session id'} in the logs`)
  }
  return res
}

/** How encodeFrame() shapes a frame, including ways to break it. */
export interface FrameOptions {
  /** Default true. */
  fin?: boolean
  /** RSV1-3 bits as a number 0..7 (default 0). */
  rsv?: number
  /** Clients must mask (default true). */
  mask?: boolean
  /** Payload length to declare instead of the real one (for bogus-length frames). */
  declaredLength?: number
}

/** One WebSocket frame as a client writes it (masked unless told otherwise). */
export function encodeFrame (opcode: number, payload: string | Buffer = Buffer.alloc(0), options: FrameOptions = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload
  const length = options.declaredLength ?? body.length
  const mask = options.mask ?? true
  const first = ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | (opcode & 0x0f)
  let head: Buffer
  if (length < 126) {
    head = Buffer.from([first, length])
  } else if (length < 65536) {
    head = Buffer.alloc(4)
    head[0] = first
    head[1] = 126
    head.writeUInt16BE(length, 2)
  } else {
    head = Buffer.alloc(10)
    head[0] = first
    head[1] = 127
    head.writeBigUInt64BE(BigInt(length), 2)
  }
  if (!mask) return Buffer.concat([head, body])
  head[1] = (head[1] ?? 0) | 0x80
  const key = randomBytes(4)
  const masked = Buffer.alloc(body.length)
  for (let i = 0; i < body.length; i++) masked[i] = (body[i] ?? 0) ^ (key[i % 4] ?? 0)
  return Buffer.concat([head, key, masked])
}

/** A close frame's payload: the code, then the reason. */
export function closePayload (code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason))
  payload.writeUInt16BE(code, 0)
  payload.write(reason, 2)
  return payload
}

/** One decoded frame. */
export interface Frame {
  fin: boolean
  opcode: number
  masked: boolean
  payload: Buffer
}

/** Splits `data` into complete frames; `rest` is an incomplete tail. */
export function decodeFrames (data: Buffer): { frames: Frame[], rest: Buffer } {
  const frames: Frame[] = []
  let offset = 0
  for (;;) {
    if (data.length - offset < 2) break
    const first = data[offset] ?? 0
    const second = data[offset + 1] ?? 0
    let length = second & 0x7f
    let at = offset + 2
    if (length === 126) {
      if (data.length < at + 2) break
      length = data.readUInt16BE(at)
      at += 2
    } else if (length === 127) {
      if (data.length < at + 8) break
      length = Number(data.readBigUInt64BE(at))
      at += 8
    }
    const masked = (second & 0x80) !== 0
    const keyAt = at
    if (masked) at += 4
    if (data.length < at + length) break
    let payload = data.subarray(at, at + length)
    if (masked) payload = Buffer.from(payload.map((b, i) => b ^ (data[keyAt + (i % 4)] ?? 0)))
    frames.push({ fin: (first & 0x80) !== 0, opcode: first & 0x0f, masked, payload })
    offset = at + length
  }
  return { frames, rest: data.subarray(offset) }
}

/** The code and reason of a close frame's payload (1005 when it has none). */
export function parseClose (payload: Buffer): { code: number, reason: string } {
  if (payload.length < 2) return { code: 1005, reason: '' }
  return { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') }
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
