// The message protocol: every schema in schemas/ compiled once at start-up, the parser that
// turns a client frame into a request or an error code, and the builders of server messages.
// Client text is never echoed: replies carry our own strings and validated integers only.
import fs from 'node:fs'
import path from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import { MESSAGE_ERRORS, type MessageErrorCode } from './errors.js'
import { HERO_LIST, type Hero } from './heroes.js'
import { PACKAGE_ROOT } from './package-root.js'

/** Folder of the JSON Schemas; the same files describe the protocol to the browser client. */
export const SCHEMAS_DIR = path.join(PACKAGE_ROOT, 'schemas')

/** Schema file of each message type the client may send. */
export const CLIENT_MESSAGE_SCHEMAS: ReadonlyMap<string, string> = new Map([
  ['get_name', 'get-name.json']
])

/** Schema file of each message type the server sends. */
export const SERVER_MESSAGE_SCHEMAS: ReadonlyMap<string, string> = new Map([
  ['user_authorized', 'user-authorized.json'],
  ['name', 'name.json'],
  ['error', 'error.json']
])

export interface GetNameRequest {
  type: 'get_name'
  id?: number
  hero: string
}

/** What parsing one client frame gives: a valid request, or an error code (with the id if readable). */
export type ParsedMessage =
  | { ok: true, request: GetNameRequest }
  | { ok: false, code: MessageErrorCode, id: number | undefined }

/** Compiled validators for every message, both directions. */
export class Protocol {
  readonly #client: ReadonlyMap<string, ValidateFunction>
  readonly #server: ReadonlyMap<string, ValidateFunction>

  private constructor (client: Map<string, ValidateFunction>, server: Map<string, ValidateFunction>) {
    this.#client = client
    this.#server = server
  }

  /** Reads and compiles every schema (strict mode: an unknown keyword is a start-up error). */
  static load (dir: string = SCHEMAS_DIR): Protocol {
    const ajv = new Ajv({ strict: true, allErrors: false })
    const compile = (files: ReadonlyMap<string, string>): Map<string, ValidateFunction> => {
      const out = new Map<string, ValidateFunction>()
      for (const [type, file] of files) {
        const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { properties?: { type?: { const?: unknown } } }
        if (schema.properties?.type?.const !== type) throw new Error(`schemas/${file} does not describe type ${type}`)
        out.set(type, ajv.compile(schema))
      }
      return out
    }
    return new Protocol(compile(CLIENT_MESSAGE_SCHEMAS), compile(SERVER_MESSAGE_SCHEMAS))
  }

  /** Parses one text frame from a client. */
  parse (text: string): ParsedMessage {
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch {
      return { ok: false, code: 'invalid_json', id: undefined }
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return { ok: false, code: 'invalid_message', id: undefined }
    }
    const fields = message as Record<string, unknown>
    const id = Object.hasOwn(fields, 'id') && isMessageId(fields.id) ? fields.id : undefined
    const type = Object.hasOwn(fields, 'type') ? fields.type : undefined
    if (typeof type !== 'string') return { ok: false, code: 'invalid_message', id }
    const validate = this.#client.get(type)
    if (validate === undefined) return { ok: false, code: 'unknown_type', id }
    if (!validate(message)) return { ok: false, code: 'invalid_message', id }
    return { ok: true, request: message as GetNameRequest }
  }

  /** True when `message` satisfies the schema of its server message type. */
  isValidServerMessage (message: { type: string }): boolean {
    return this.#server.get(message.type)?.(message) === true
  }
}

/** Request ids we echo: integers 0..2^31-1 (as in the schemas). */
function isMessageId (value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 2147483647
}

// The constant parts of user_authorized and name are serialised once: JSON.stringify of a fresh
// object per message was the largest item of our own code in the round-trip and handshake
// profiles (npm run bench). The bytes are the same as JSON.stringify of the whole object.
const HERO_LIST_JSON = JSON.stringify(HERO_LIST)
const nameTails = new WeakMap<Hero, string>()

/** `"hero":…,"hero_name":…}` of a catalogue entry, serialised once per hero. */
function nameTail (hero: Hero): string {
  let tail = nameTails.get(hero)
  if (tail === undefined) {
    tail = `"hero":${JSON.stringify(hero.id)},"hero_name":${JSON.stringify(hero.realName)}}`
    nameTails.set(hero, tail)
  }
  return tail
}

/** `user_authorized`, sent once when the socket opens. */
export function userAuthorizedMessage (username: string): string {
  return `{"type":"user_authorized","user":{"username":${JSON.stringify(username)}},"heroes":${HERO_LIST_JSON}}`
}

/** `name`, the answer to get_name; `hero` is the catalogue's own id, not the client's string. */
export function nameMessage (hero: Hero, id: number | undefined): string {
  return id === undefined
    ? `{"type":"name",${nameTail(hero)}`
    : `{"type":"name","id":${JSON.stringify(id)},${nameTail(hero)}`
}

/** Largest retryAfterMs sent (ms), as in schemas/error.json; a very low MESSAGE_RATE waits longer. */
export const MAX_RETRY_AFTER_MS = 3_600_000

/** `error` with a registry code; `retryAfterMs` (capped at MAX_RETRY_AFTER_MS) comes with rate_limited. */
export function errorMessage (code: MessageErrorCode, id: number | undefined, retryAfterMs?: number): string {
  const message: Record<string, unknown> = { type: 'error' }
  if (id !== undefined) message.id = id
  message.code = code
  message.message = MESSAGE_ERRORS[code]
  if (retryAfterMs !== undefined) message.retryAfterMs = Math.min(retryAfterMs, MAX_RETRY_AFTER_MS)
  return JSON.stringify(message)
}
