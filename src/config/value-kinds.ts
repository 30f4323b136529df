// The kinds of value a configuration variable holds. Each kind is a JSON Schema for the string in
// the environment (ajv coerces it) and how the validated value becomes the typed field, so a
// variable's type in Config follows from its kind in the table (variables.ts).
import { isIP } from 'node:net'
import path from 'node:path'
import { ConfigError } from './config-error.js'

/** A JSON Schema fragment, as ajv takes it. */
export type JsonSchema = Readonly<Record<string, unknown>>

/** The environment after validation: each variable as ajv coerced it (a number for numeric kinds). */
export type ValidatedEnv = Readonly<Record<string, string | number>>

/** How one variable is checked (`schema`) and read (`parse`, given the value and the whole environment). */
export interface ValueKind<T> {
  readonly schema: JsonSchema
  readonly parse: (value: string | number, env: ValidatedEnv) => T
}

const MAX_INT32 = 2 ** 31 - 1
const pathSchema = { type: 'string', maxLength: 4096 }

/** An integer within [minimum, maximum]. */
export function integer (minimum: number, maximum = MAX_INT32): ValueKind<number> {
  return { schema: { type: 'integer', minimum, maximum }, parse: Number }
}

/** An integer number of seconds in the environment, milliseconds in the configuration. */
export function secondsAsMs (minimum: number, maximum = MAX_INT32): ValueKind<number> {
  return { schema: integer(minimum, maximum).schema, parse: (value) => Number(value) * 1000 }
}

/** A positive rate (per second), fractions allowed. */
export const rate: ValueKind<number> = {
  schema: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
  parse: Number
}

/** `on` or `off`, read as a boolean. */
export const onOff: ValueKind<boolean> = {
  schema: { type: 'string', enum: ['on', 'off'] },
  parse: (value) => value === 'on'
}

/** One of `values`, typed as their union. */
export function oneOf<const T extends readonly string[]> (values: T): ValueKind<T[number]> {
  return { schema: { type: 'string', enum: values }, parse: (value) => String(value) as T[number] }
}

/** A string the schema constrains. */
export function text (schema: JsonSchema): ValueKind<string> {
  return { schema: { type: 'string', ...schema }, parse: String }
}

/** A string the schema constrains, or undefined when empty. */
export function optionalText (schema: JsonSchema): ValueKind<string | undefined> {
  return { schema: { type: 'string', ...schema }, parse: (value) => value === '' ? undefined : String(value) }
}

/** A host name or address to listen on. */
export const hostName: ValueKind<string> = text({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9.:\\-]+$' })

/** A folder, resolved to an absolute path. */
export const folder: ValueKind<string> = {
  schema: { ...pathSchema, minLength: 1 },
  parse: (value) => path.resolve(String(value))
}

/** A file, resolved to an absolute path; undefined when empty. */
export const optionalFile: ValueKind<string | undefined> = {
  schema: pathSchema,
  parse: (value) => value === '' ? undefined : path.resolve(String(value))
}

/** A file, resolved to an absolute path; when empty, `fallback` (a file name) in the folder `folderVariable` names. */
export function fileIn (folderVariable: string, fallback: string): ValueKind<string> {
  return {
    schema: pathSchema,
    parse: (value, env) => path.resolve(String(value) || path.join(path.resolve(String(env[folderVariable])), fallback))
  }
}

/** A port, or empty for none (the group it opens is then absent). */
export const optionalPort: ValueKind<number> = {
  schema: { anyOf: [{ type: 'string', const: '' }, integer(0, 65535).schema] },
  parse: Number
}

/** ALLOWED_ORIGINS: comma-separated exact origins (scheme://host[:port], no path); undefined when empty. */
export const origins: ValueKind<readonly string[] | undefined> = {
  schema: { type: 'string', maxLength: 8192 },
  parse: (value) => parseOrigins(String(value))
}

/** TRUSTED_PROXIES: comma-separated IP addresses and CIDRs (v4 or v6). */
export const proxies: ValueKind<readonly string[]> = {
  schema: { type: 'string', maxLength: 8192 },
  parse: (value) => parseProxies(String(value))
}

function parseProxies (value: string): readonly string[] {
  const entries = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const entry of entries) {
    if (!isAddressOrCidr(entry)) {
      const got = JSON.stringify(entry)
      throw new ConfigError('TRUSTED_PROXIES', `entries must be IP addresses or CIDRs like 10.0.0.0/8 (got ${got})`)
    }
  }
  return entries
}

function isAddressOrCidr (entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || extra !== undefined) return false
  if (bits === undefined) return true
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}

function parseOrigins (value: string): readonly string[] | undefined {
  if (value === '') return undefined
  const entries = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const origin of entries) {
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      throw new ConfigError('ALLOWED_ORIGINS', `has an entry that is not a URL: ${JSON.stringify(origin)}`)
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
      const got = JSON.stringify(origin)
      throw new ConfigError('ALLOWED_ORIGINS', 'entries must be exact origins like https://example.com:8443 ' +
        `(got ${got})`)
    }
  }
  return entries
}
