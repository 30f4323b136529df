// The protocol's one source of truth: the JSON Schemas in schemas/. Each file describes one
// message; its `properties.type.const` is the message's type and its title ends with
// "(client to server)" or "(server to client)". The server's validators, its message types
// (generated at build time) and the browser client's all come from what this module reads.
import fs from 'node:fs'
import path from 'node:path'
import { PACKAGE_ROOT } from '../config/package-root.js'

/** Folder of the JSON Schemas. */
export const SCHEMAS_DIR = path.join(PACKAGE_ROOT, 'schemas')

/** Which side sends a message. */
export type Direction = 'client' | 'server'

/** The subset of JSON Schema the protocol's files use. */
export interface JsonSchema {
  $id?: string
  title?: string
  type?: string
  const?: unknown
  enum?: unknown[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  additionalProperties?: boolean
  [keyword: string]: unknown
}

/** One schema file. */
export interface ProtocolSchema {
  /** File name in schemas/, e.g. get-name.json. */
  readonly file: string
  /** The message's `type` constant, e.g. get_name. */
  readonly type: string
  /** Who sends it. */
  readonly from: Direction
  /** TypeScript type name, e.g. GetNameMessage. */
  readonly typeName: string
  /** Validator export name (client), e.g. validateGetName. */
  readonly validatorName: string
  readonly schema: JsonSchema
}

const DIRECTION_IN_TITLE = /\((client|server) to (client|server)\)$/

/**
 * Reads every *.json in `dir`, in file-name order.
 * @throws Error naming the file when a schema does not say its type or its direction
 */
export function readProtocolSchemas (dir: string = SCHEMAS_DIR): ProtocolSchema[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  return files.map((file) => {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as JsonSchema
    const type = schema.properties?.type?.const
    if (typeof type !== 'string') throw new Error(`schemas/${file}: properties.type.const must name the message type`)
    const direction = DIRECTION_IN_TITLE.exec(schema.title ?? '')
    if (direction === null || direction[1] === direction[2]) {
      throw new Error(`schemas/${file}: the title must end with "(client to server)" or "(server to client)"`)
    }
    const base = file.replace(/\.json$/, '').split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')
    return {
      file,
      type,
      from: direction[1] as Direction,
      typeName: `${base}Message`,
      validatorName: `validate${base}`,
      schema
    }
  })
}
