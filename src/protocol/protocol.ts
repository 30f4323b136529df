// The message protocol, compiled once at start-up: every schema in schemas/ (strict ajv: an
// unknown keyword is a start-up error), split by direction as the schema files say, and the
// parser that turns one client frame into a valid message or an error code.
import { Ajv, type ValidateFunction } from 'ajv'
import type { MessageErrorCode } from '../errors.js'
import type { ClientMessage } from './generated/messages.js'
import { readProtocolSchemas, SCHEMAS_DIR } from './schema-files.js'

/** What parsing one client frame gives: a valid message, or an error code (with the id if readable). */
export type ParsedMessage =
  | { ok: true, message: ClientMessage }
  | { ok: false, code: MessageErrorCode, id: number | undefined }

/** Compiled validators for every message, both directions. */
export class Protocol {
  readonly #client: ReadonlyMap<string, ValidateFunction<ClientMessage>>
  readonly #server: ReadonlyMap<string, ValidateFunction>

  private constructor (client: Map<string, ValidateFunction<ClientMessage>>, server: Map<string, ValidateFunction>) {
    this.#client = client
    this.#server = server
  }

  /** Reads and compiles every schema in `dir` (default: schemas/). */
  static load (dir: string = SCHEMAS_DIR): Protocol {
    const ajv = new Ajv({ strict: true, allErrors: false })
    const client = new Map<string, ValidateFunction<ClientMessage>>()
    const server = new Map<string, ValidateFunction>()
    for (const { type, from, schema } of readProtocolSchemas(dir)) {
      const table = from === 'client' ? client : server
      if (table.has(type)) throw new Error(`two schemas describe the ${from} message ${type}`)
      table.set(type, ajv.compile(schema))
    }
    return new Protocol(client, server)
  }

  /** The types a client may send, as the schema files say. */
  get clientTypes (): readonly string[] {
    return [...this.#client.keys()]
  }

  /** The types the server sends. */
  get serverTypes (): readonly string[] {
    return [...this.#server.keys()]
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
    return { ok: true, message }
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
