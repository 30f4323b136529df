// Build step: turns schemas/*.json into the message types and validators both sides compile
// against, so the client, the server and the schema files cannot drift. It writes
//   src/protocol/generated/messages.ts       the server's message types and per-type tables
//   client/generated/protocol-validators.js  ajv standalone validators (ESM, no imports)
//   client/generated/protocol.ts             the message types, and those validators typed
//   docs/asyncapi.json                       the protocol as an AsyncAPI 3.0 document
// `npm run build` runs it before tsc compiles src/ and client/ (the first three are git-ignored;
// docs/asyncapi.json is committed, for readers of the repository), and skips it when neither its
// inputs nor those files changed since it last ran (protocol-fingerprint.ts); it writes only the
// files whose text changed, so tsc's incremental build sees nothing new when nothing is.
// test/scripts/generate-protocol.test.ts checks that the generated files are current.
import fsp from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import { PACKAGE_ROOT } from '../src/config/package-root.js'
import {
  readProtocolSchemas, type Direction, type JsonSchema, type ProtocolSchema
} from '../src/protocol/schema-files.js'
import { asyncApiSource } from './asyncapi.js'
import {
  generatedFileNames, protocolIsCurrent, readIfPresent, recordProtocolFingerprint
} from './protocol-fingerprint.js'
import standaloneCodeModule from 'ajv/dist/standalone/index.js'
import ucs2lengthModule from 'ajv/dist/runtime/ucs2length.js'

// ajv's CommonJS modules reach ESM as their exports object: the function is on `default`.
const standaloneCode = standaloneCodeModule.default
const ucs2length = ucs2lengthModule.default

const GENERATED = '// Generated from schemas/*.json by scripts/generate-protocol.ts. Do not edit.'

/** Keywords that annotate or constrain values without changing the TypeScript type. */
const VALUE_KEYWORDS = new Set([
  '$id', 'title', 'description', 'examples', 'minLength', 'maxLength', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'minItems', 'maxItems', 'pattern'
])
const TYPE_KEYWORDS = new Set(['type', 'const', 'enum', 'properties', 'required', 'items', 'additionalProperties'])

/** The standalone validators as one ES module with no imports. */
export function validatorsSource (schemas: readonly ProtocolSchema[]): string {
  // The same options as a default server-side Ajv, so lengths count code points on both sides.
  const ajv = new Ajv({
    code: { source: true, esm: true, lines: true }, strict: true, schemas: schemas.map((s) => s.schema)
  })
  const exports: Record<string, string> = {}
  for (const s of schemas) exports[s.validatorName] = s.schema.$id ?? s.file
  let code = standaloneCode(ajv, exports)
  // ajv refers to its runtime helper with require() even in ESM output; inline it instead.
  code = code.split(ucs2length.code).join('ucs2length')
  if (code.includes('require(')) throw new Error('the generated validators still need a runtime import from ajv')
  return [
    GENERATED,
    code.replace(/^"use strict";/, ''),
    `function ucs2length ${ucs2length.toString().replace(/^function ucs2length\s*/, '')}`,
    ''
  ].join('\n')
}

/** The message types, and the validators module re-exported with those types. */
export function typesSource (schemas: readonly ProtocolSchema[]): string {
  const lines = [
    GENERATED,
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
    lines.push(...interfaceLines(s))
    lines.push(
      `export const ${s.validatorName} = validators.${s.validatorName} as unknown as Validator<${s.typeName}>`,
      ''
    )
  }
  const union = (from: Direction): string => schemas.filter((s) => s.from === from)
    .map((s) => s.typeName).join(' | ') || 'never'
  const table = (from: Direction): string => schemas.filter((s) => s.from === from)
    .map((s) => `  ${propertyName(s.type)}: ${s.validatorName}`).join(',\n')
  lines.push('/** Every message the server sends. */', `export type ServerMessage = ${union('server')}`, '')
  lines.push('/** Every message the client sends. */', `export type ClientMessage = ${union('client')}`, '')
  lines.push(
    '/** Validators of server messages by their `type`. */',
    `export const SERVER_MESSAGE_VALIDATORS = Object.freeze({\n${table('server')}\n})`,
    ''
  )
  lines.push(
    '/** Validators of client messages by their `type`. */',
    `export const CLIENT_MESSAGE_VALIDATORS = Object.freeze({\n${table('client')}\n})`,
    ''
  )
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
      if (schema.additionalProperties !== false) {
        throw new Error(`schemas/${file}: objects must set additionalProperties: false`)
      }
      const required = new Set(schema.required ?? [])
      const inner = indent + '  '
      const props = Object.entries(schema.properties ?? {})
        .map(([key, sub]) => `${inner}${key}${required.has(key) ? '' : '?'}: ${tsType(sub, file, inner)}`)
      return `{\n${props.join('\n')}\n${indent}}`
    }
    default: throw new Error(`schemas/${file}: the client generator does not know type ${JSON.stringify(schema.type)}`)
  }
}

/** The server's message types: one interface per schema, and the messages of each side by type. */
export function serverTypesSource (schemas: readonly ProtocolSchema[]): string {
  const lines = [GENERATED, '']
  for (const s of schemas) lines.push(...interfaceLines(s))
  const table = (from: Direction): string => schemas.filter((s) => s.from === from)
    .map((s) => `  ${propertyName(s.type)}: ${s.typeName}`).join('\n')
  lines.push(
    '/** The messages a client may send, by type. */', `export interface ClientMessages {\n${table('client')}\n}`, ''
  )
  lines.push(
    '/** The messages the server sends, by type. */', `export interface ServerMessages {\n${table('server')}\n}`, ''
  )
  lines.push('export type ClientMessageType = keyof ClientMessages', '')
  lines.push('/** Any valid client message. */', 'export type ClientMessage = ClientMessages[ClientMessageType]', '')
  lines.push('/** Any server message. */', 'export type ServerMessage = ServerMessages[keyof ServerMessages]', '')
  return lines.join('\n')
}

function interfaceLines (s: ProtocolSchema): string[] {
  return [
    `/** ${s.schema.title ?? s.type}: schemas/${s.file} */`,
    `export interface ${s.typeName} ${tsType(s.schema, s.file, '')}`,
    ''
  ]
}

function propertyName (name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name)
}

/** Where each generated file goes, and what it holds. */
export function generatedFiles (root: string, schemas: readonly ProtocolSchema[]): ReadonlyMap<string, string> {
  const [messages, validators, types, asyncApi] = generatedFileNames(root)
  return new Map([
    [messages, serverTypesSource(schemas)],
    [validators, validatorsSource(schemas)],
    [types, typesSource(schemas)],
    [asyncApi, asyncApiSource(schemas, root)]
  ])
}

/** Writes the generated files from `root`/schemas/, each only if its text changed; returns those written. */
export async function generateProtocol (root = PACKAGE_ROOT): Promise<string[]> {
  const schemas = readProtocolSchemas(path.join(root, 'schemas'))
  const written = []
  for (const [file, text] of generatedFiles(root, schemas)) {
    if (readIfPresent(file) === text) continue
    await fsp.mkdir(path.dirname(file), { recursive: true })
    await fsp.writeFile(file, text)
    written.push(file)
  }
  return written
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (!protocolIsCurrent()) {
    await generateProtocol()
    recordProtocolFingerprint()
  }
}
