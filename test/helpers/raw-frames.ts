// Hand-made WebSocket frames (RFC 6455 section 5): a client's frame, masked unless told otherwise
// and breakable on purpose, close payloads, and a decoder of what the server sends.
import { randomBytes } from 'node:crypto'

/** Frame opcodes (RFC 6455 section 5.2). */
export const OPCODE = Object.freeze({ continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa })

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
export function encodeFrame (
  opcode: number,
  payload: string | Buffer = Buffer.alloc(0),
  options: FrameOptions = {}
): Buffer {
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
