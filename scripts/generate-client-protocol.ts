// Build step: turns schemas/*.json into the browser client's protocol module, so the client and
// the server read the same schema files and cannot drift. It writes
//   client/generated/protocol-validators.js  ajv standalone validators (ESM, no imports)
//   client/generated/protocol.ts             the message types, and those validators typed
// `npm run build` runs it between the two tsc passes; test/client-protocol.test.ts checks that
// the generated files are current and that client and server validators agree.
import fsp from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import { PACKAGE_ROOT } from '../src/package-root.js'
import standaloneCodeModule from 'ajv/dist/standalone/index.js'
import ucs2lengthModule from 'ajv/dist/runtime/ucs2length.js'

// ajv's CommonJS modules reach ESM as their exports object: the function is on `default`.
const standaloneCode = standaloneCodeModule.default
const ucs2length = ucs2lengthModule.default

/** Which way a message travels, read from the schema's title: "… (client to server)". */
export type Direction = 'client' | 'server'

/** One schema file as the generator sees it. */
export interface ProtocolSchema {
  /** File name in schemas/, e.g. get-name.json. */
  file: string
  /** The message's `type` constant, e.g. get_name. */
  type: string
  /** Who sends it. */
  from: Direction
  /** TypeScript type name, e.g. GetNameMessage. */
  typeName: string
  /** Validator export name, e.g. validateGetName. */
  validatorName: string
  schema: JsonSchema
}

interface JsonSchema {
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

/** Keywords that constrain values without changing the TypeScript type. */
const VALUE_KEYWORDS = new Set(['$id', 'title', 'description', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'pattern'])
const TYPE_KEYWORDS = new Set(['type', 'const', 'enum', 'properties', 'required', 'items', 'additionalProperties'])

/** Reads every schemas/*.json in file-name order. */
export async function readProtocolSchemas (schemasDir: string): Promise<ProtocolSchema[]> {
  const files = (await fsp.readdir(schemasDir)).filter((f) => f.endsWith('.json')).sort()
  const schemas: ProtocolSchema[] = []
  for (const file of files) {
    const schema = JSON.parse(await fsp.readFile(path.join(schemasDir, file), 'utf8')) as JsonSchema
    const type = schema.properties?.type?.const
    if (typeof type !== 'string') throw new Error(`schemas/${file}: properties.type.const must name the message type`)
    const direction = /\((client|server) to (client|server)\)$/.exec(schema.title ?? '')
    if (direction === null) throw new Error(`schemas/${file}: the title must end with "(client to server)" or "(server to client)"`)
    const base = file.replace(/\.json$/, '').split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')
    schemas.push({ file, type, from: direction[1] as Direction, typeName: `${base}Message`, validatorName: `validate${base}`, schema })
  }
  return schemas
}

/** The standalone validators as one ES module with no imports. */
export function validatorsSource (schemas: readonly ProtocolSchema[]): string {
  // The same options as a default server-side Ajv, so lengths count code points on both sides.
  const ajv = new Ajv({ code: { source: true, esm: true, lines: true }, strict: true, schemas: schemas.map((s) => s.schema) })
  const exports: Record<string, string> = {}
  for (const s of schemas) exports[s.validatorName] = s.schema.$id ?? s.file
  let code = standaloneCode(ajv, exports)
  // ajv refers to its runtime helper with require() even in ESM output; inline it instead.
  code = code.split(ucs2length.code).join('ucs2length')
  if (code.includes('require(')) throw new Error('the generated validators still need a runtime import from ajv')
  return [
    '// Generated from schemas/*.json by scripts/generate-client-protocol.ts. Do not edit.',
    code.replace(/^"use strict";/, ''),
    `function ucs2length ${ucs2length.toString().replace(/^function ucs2length\s*/, '')}`,
    ''
  ].join('\n')
}

/** The message types, and the validators module re-exported with those types. */
export function typesSource (schemas: readonly ProtocolSchema[]): string {
  const lines = [
    '// Generated from schemas/*.json by scripts/generate-client-protocol.ts. Do not edit.',
    "import * as validators from './protocol-validators.js'",
    '',
    '/** An ajv validator: a type guard that leaves its errors on `errors`. */',
    'export interface Validator<T> {',
    '  (data: unknown): data is T',
    '  errors?: Array<{ instancePath: string, keyword: string, message?: string }> | null',
    '}',
    ''
  ]
  for (const s of schemas) {
    lines.push(`/** ${s.schema.title ?? s.type}: schemas/${s.file} */`)
    lines.push(`export interface ${s.typeName} ${tsType(s.schema, s.file, '')}`, '')
    lines.push(`export const ${s.validatorName} = validators.${s.validatorName} as unknown as Validator<${s.typeName}>`, '')
  }
  const union = (from: Direction): string => schemas.filter((s) => s.from === from).map((s) => s.typeName).join(' | ') || 'never'
  const table = (from: Direction): string => schemas.filter((s) => s.from === from)
    .map((s) => `  ${/^[A-Za-z_$][\w$]*$/.test(s.type) ? s.type : JSON.stringify(s.type)}: ${s.validatorName}`).join(',\n')
  lines.push('/** Every message the server sends. */', `export type ServerMessage = ${union('server')}`, '')
  lines.push('/** Every message the client sends. */', `export type ClientMessage = ${union('client')}`, '')
  lines.push('/** Validators of server messages by their `type`. */', `export const SERVER_MESSAGE_VALIDATORS = Object.freeze({\n${table('server')}\n})`, '')
  lines.push('/** Validators of client messages by their `type`. */', `export const CLIENT_MESSAGE_VALIDATORS = Object.freeze({\n${table('client')}\n})`, '')
  return lines.join('\n')
}

/** A TypeScript type for the subset of JSON Schema the protocol uses; anything else fails the build. */
function tsType (schema: JsonSchema, file: string, indent: string): string {
  for (const keyword of Object.keys(schema)) {
    if (!VALUE_KEYWORDS.has(keyword) && !TYPE_KEYWORDS.has(keyword)) {
      throw new Error(`schemas/${file}: the client generator does not know the keyword "${keyword}"`)
    }
  }
  if ('const' in schema) return JSON.stringify(schema.const)
  if (schema.enum !== undefined) return schema.enum.map((v) => JSON.stringify(v)).join(' | ')
  switch (schema.type) {
    case 'string': return 'string'
    case 'integer':
    case 'number': return 'number'
    case 'boolean': return 'boolean'
    case 'array': {
      if (schema.items === undefined) throw new Error(`schemas/${file}: arrays need items`)
      return `Array<${tsType(schema.items, file, indent)}>`
    }
    case 'object': {
      if (schema.additionalProperties !== false) throw new Error(`schemas/${file}: objects must set additionalProperties: false`)
      const required = new Set(schema.required ?? [])
      const inner = indent + '  '
      const props = Object.entries(schema.properties ?? {})
        .map(([key, sub]) => `${inner}${key}${required.has(key) ? '' : '?'}: ${tsType(sub, file, inner)}`)
      return `{\n${props.join('\n')}\n${indent}}`
    }
    default: throw new Error(`schemas/${file}: the client generator does not know type ${JSON.stringify(schema.type)}`)
  }
}

/** Writes client/generated/ from schemas/. */
export async function generateClientProtocol (root = PACKAGE_ROOT): Promise<void> {
  const schemas = await readProtocolSchemas(path.join(root, 'schemas'))
  const outDir = path.join(root, 'client', 'generated')
  await fsp.mkdir(outDir, { recursive: true })
  await fsp.writeFile(path.join(outDir, 'protocol-validators.js'), validatorsSource(schemas))
  await fsp.writeFile(path.join(outDir, 'protocol.ts'), typesSource(schemas))
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await generateClientProtocol()
}
