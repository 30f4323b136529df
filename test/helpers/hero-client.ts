// A real `ws` client for the WebSocket tests that checks every message the server sends against
// its schema in schemas/, compiled here with ajv on its own (not through src/protocol/protocol.ts), and
// against the server's own validators too.
import fs from 'node:fs'
import path from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import type { Test } from 'tap'
import WebSocket, { type ClientOptions } from 'ws'
import { ROOT } from './http.js'
import type { TestServer } from './test-server.js'

/** A message from the server, as parsed JSON. */
export type ServerMessage = Record<string, unknown> & { type?: unknown }

/** How long to wait for a message or a close (ms); generous for shared CI cores. */
export const CLIENT_TIMEOUT_MS = 10_000

/** Every schema in schemas/, compiled once per test process, by the `type` it describes. */
export const SCHEMAS: ReadonlyMap<string, { file: string, validate: ValidateFunction }> = loadSchemas()

function loadSchemas (): Map<string, { file: string, validate: ValidateFunction }> {
  const ajv = new Ajv({ strict: true, allErrors: true })
  const dir = path.join(ROOT, 'schemas')
  const schemas = new Map<string, { file: string, validate: ValidateFunction }>()
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as {
      properties: { type: { const: string } }
    }
    schemas.set(schema.properties.type.const, { file, validate: ajv.compile(schema) })
  }
  return schemas
}

/** Why `message` does not satisfy the schema of its type, or undefined when it does. */
export function schemaProblem (message: unknown): string | undefined {
  const type = (message as { type?: unknown } | null)?.type
  const schema = typeof type === 'string' ? SCHEMAS.get(type) : undefined
  if (schema === undefined) return `no schema for type ${JSON.stringify(type)}`
  if (schema.validate(message)) return undefined
  return `${schema.file}: ${JSON.stringify(schema.validate.errors)}`
}

/**
 * The authorised client every WebSocket test starts from: a socket opened with the session `sid`,
 * whose first message must be user_authorized (for `username`, when given).
 */
export async function openAuthorised (
  t: Test,
  server: TestServer,
  sid: string,
  username?: string
): Promise<HeroClient> {
  const client = await HeroClient.open(t, server, sid)
  t.match(
    await client.next(),
    { type: 'user_authorized', ...(username === undefined ? {} : { user: { username } }) },
    'the socket is authorised'
  )
  return client
}

/** A ws client that asserts, for each message it hands out, that it matches its schema. */
export class HeroClient {
  readonly ws: WebSocket
  /** Every message received, in order. */
  readonly messages: ServerMessage[] = []
  readonly #t: Test
  readonly #server: TestServer
  #read = 0
  #checked = 0
  #closed: Promise<{ code: number, reason: string }>
  #wake: () => void = () => {}

  private constructor (t: Test, server: TestServer, ws: WebSocket) {
    this.#t = t
    this.#server = server
    this.ws = ws
    ws.on('message', (data, isBinary) => {
      this.messages.push(isBinary ? { type: '(binary frame)' } : parse(data.toString()))
      this.#wake()
    })
    this.#closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString() })
        this.#wake()
      })
    })
    ws.on('error', () => {})
    t.teardown(() => ws.terminate())
  }

  /**
   * Opens wss://127.0.0.1:<port>/ws with the session cookie `sid` and our origin; resolves once
   * the socket is open (rejects with the refusal's status otherwise).
   */
  static async open (t: Test, server: TestServer, sid: string, options: ClientOptions = {}): Promise<HeroClient> {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/ws`, {
      origin: server.origin,
      headers: { cookie: `__Host-sid=${sid}` },
      ca: server.ca,
      ...options
    })
    const client = new HeroClient(t, server, ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once(
        'unexpected-response',
        (_req, res) => reject(Object.assign(new Error(`refused with ${res.statusCode}`), { status: res.statusCode }))
      )
      ws.once('error', reject)
    })
    return client
  }

  /** The next message not yet read, checked against its schema. */
  async next (timeoutMs = CLIENT_TIMEOUT_MS): Promise<ServerMessage> {
    const index = this.#read
    await this.#until(() => this.messages.length > index, timeoutMs, `message #${index + 1}`)
    this.#read++
    this.#check(index)
    return this.messages[index] as ServerMessage
  }

  /** Sends `message` (JSON-encoded unless it is a string already). */
  send (message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** Sends and returns the next message. */
  async request (message: unknown, timeoutMs = CLIENT_TIMEOUT_MS): Promise<ServerMessage> {
    this.send(message)
    return await this.next(timeoutMs)
  }

  /** Resolves with the close code and reason; every message received before is schema-checked. */
  async closed (timeoutMs = CLIENT_TIMEOUT_MS): Promise<{ code: number, reason: string }> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`socket not closed within ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      const result = await Promise.race([this.#closed, timeout])
      for (let i = this.#checked; i < this.messages.length; i++) this.#check(i)
      return result
    } finally {
      clearTimeout(timer)
    }
  }

  #check (index: number): void {
    const message = this.messages[index]
    const problem = schemaProblem(message)
    this.#t.equal(problem, undefined, `server message ${String(message?.type)} matches its schema`)
    if (problem === undefined) {
      this.#t.ok(
        this.#server.app.websocket.protocol.isValidServerMessage(message as { type: string }),
        'and the server\'s own validator agrees'
      )
    }
    this.#checked = Math.max(this.#checked, index + 1)
  }

  async #until (ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ready()) return
    if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed before ${what}`)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = () => {}
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
      }, timeoutMs)
      this.#wake = () => {
        if (!ready()) {
          if (this.ws.readyState === WebSocket.CLOSED) {
            clearTimeout(timer)
            this.#wake = () => {}
            reject(new Error(`socket closed before ${what}`))
          }
          return
        }
        clearTimeout(timer)
        this.#wake = () => {}
        resolve()
      }
    })
  }
}

function parse (text: string): ServerMessage {
  try {
    return JSON.parse(text) as ServerMessage
  } catch {
    return { type: '(not JSON)', text }
  }
}

/** Resolves once `condition()` holds (checked every few ms); rejects after `timeoutMs`. */
export async function waitUntil (
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = CLIENT_TIMEOUT_MS
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
