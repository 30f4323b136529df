// Hand-made WebSocket handshakes (RFC 6455 section 4): the upgrade request as the bytes a client
// writes, valid from our origin unless told otherwise, its key and the accept a server must answer,
// and a reader of the HTTP response head that comes back.
import { createHash, randomBytes } from 'node:crypto'
import type { TestServer } from './test-server.js'

/** The GUID of RFC 6455 section 1.3, for Sec-WebSocket-Accept. */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

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
