// The kinds of value a configuration variable holds. Each kind is a JSON Schema for the string in
// the environment (ajv coerces it) and how the validated value becomes the typed field, so a
// variable's type in Config follows from its kind in the table (variables.ts). Each kind also says
// in words what a value must be, for the one line a bad value stops start-up with: never a
// pattern or a schema keyword.
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
  /** What a value must be, in words, to follow "must be" (e.g. `on or off`). */
  readonly expected: string
  readonly parse: (value: string | number, env: ValidatedEnv) => T
}

const MAX_INT32 = 2 ** 31 - 1
const pathSchema = { type: 'string', maxLength: 4096 }
const pathExpected = 'a path of at most 4096 characters'

/** `a, b or c`. */
function either (values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1) ?? ''}`
}

/** ` from 0 to 65535`, or `, at least 1` when there is no real maximum. */
function range (minimum: number, maximum: number): string {
  return maximum === MAX_INT32 ? `, at least ${minimum}` : ` from ${minimum} to ${maximum}`
}

/** An integer within [minimum, maximum]. */
export function integer (minimum: number, maximum = MAX_INT32): ValueKind<number> {
  const expected = `a whole number${range(minimum, maximum)}`
  return { schema: { type: 'integer', minimum, maximum }, expected, parse: Number }
}

/** An integer within [minimum, maximum], or undefined when empty (its default depends on more than the environment). */
export function optionalInteger (minimum: number, maximum = MAX_INT32): ValueKind<number | undefined> {
  return {
    schema: { anyOf: [{ type: 'string', const: '' }, integer(minimum, maximum).schema] },
    expected: `a whole number${range(minimum, maximum)}, or empty for the default`,
    parse: (value) => value === '' ? undefined : Number(value)
  }
}

/** An integer number of seconds in the environment, milliseconds in the configuration. */
export function secondsAsMs (minimum: number, maximum = MAX_INT32): ValueKind<number> {
  return {
    schema: integer(minimum, maximum).schema,
    expected: `a whole number of seconds${range(minimum, maximum)}`,
    parse: (value) => Number(value) * 1000
  }
}

/** A positive rate (per second), fractions allowed. */
export const rate: ValueKind<number> = {
  schema: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
  expected: 'a number above 0 and at most 1000000 (fractions allowed)',
  parse: Number
}

/** `on` or `off`, read as a boolean. */
export const onOff: ValueKind<boolean> = {
  schema: { type: 'string', enum: ['on', 'off'] },
  expected: 'on or off',
  parse: (value) => value === 'on'
}

/** One of `values`, typed as their union. */
export function oneOf<const T extends readonly string[]> (values: T): ValueKind<T[number]> {
  return {
    schema: { type: 'string', enum: values },
    expected: either(values),
    parse: (value) => String(value) as T[number]
  }
}

/** A string the schema constrains; `expected` says what it allows in words. */
export function text (schema: JsonSchema, expected: string): ValueKind<string> {
  return { schema: { type: 'string', ...schema }, expected, parse: String }
}

/** A string the schema constrains, or undefined when empty; `expected` says what it allows in words. */
export function optionalText (schema: JsonSchema, expected: string): ValueKind<string | undefined> {
  return { schema: { type: 'string', ...schema }, expected, parse: (value) => value === '' ? undefined : String(value) }
}

/** A host name or address to listen on. */
export const hostName: ValueKind<string> = text(
  { minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9.:\\-]+$' },
  'a host name or IP address (letters, digits, dots, colons and hyphens), like 127.0.0.1'
)

/** A folder, resolved to an absolute path. */
export const folder: ValueKind<string> = {
  schema: { ...pathSchema, minLength: 1 },
  expected: pathExpected,
  parse: (value) => path.resolve(String(value))
}

/** A file, resolved to an absolute path; undefined when empty. */
export const optionalFile: ValueKind<string | undefined> = {
  schema: pathSchema,
  expected: pathExpected,
  parse: (value) => value === '' ? undefined : path.resolve(String(value))
}

/** A file, resolved to an absolute path; when empty, `fallback` (a file name) in the folder `folderVariable` names. */
export function fileIn (folderVariable: string, fallback: string): ValueKind<string> {
  return {
    schema: pathSchema,
    expected: pathExpected,
    parse: (value, env) => path.resolve(String(value) || path.join(path.resolve(String(env[folderVariable])), fallback))
  }
}

/** A port, or empty for none (the group it opens is then absent). */
export const optionalPort: ValueKind<number> = {
  schema: { anyOf: [{ type: 'string', const: '' }, integer(0, 65535).schema] },
  expected: 'a port from 0 to 65535, or empty for none',
  parse: Number
}

/** ALLOWED_ORIGINS: comma-separated exact origins (scheme://host[:port], no path); undefined when empty. */
export const origins: ValueKind<readonly string[] | undefined> = {
  schema: { type: 'string', maxLength: 8192 },
  expected: 'a list of origins of at most 8192 characters',
  parse: (value) => parseOrigins(String(value))
}

/** TRUSTED_PROXIES: comma-separated IP addresses and CIDRs (v4 or v6). */
export const proxies: ValueKind<readonly string[]> = {
  schema: { type: 'string', maxLength: 8192 },
  expected: 'a list of addresses of at most 8192 characters',
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
