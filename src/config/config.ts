// Configuration: read once from environment variables, validated against a JSON Schema, and
// handed around as one deep-frozen typed object. Everything here is derived from the table of
// variables (variables.ts): the defaults, the schema, the Config type and its groups. A bad value
// throws ConfigError naming the variable, so start-up stops before anything listens.
import { Ajv } from 'ajv'
import { checkCombinations, productionSettings, type EnvReader } from './combinations.js'
import { ConfigError } from './config-error.js'
import type { ValidatedEnv } from './value-kinds.js'
import { GROUPS, RETIRED_VARIABLES, VARIABLE_ENTRIES, VARIABLES, type EnvName, type GroupName } from './variables.js'

export { ConfigError } from './config-error.js'
export { isLoopbackHost } from './loopback-host.js'
export { ARGON2_MIN, DEFAULT_TLS_CIPHERS, DEFAULT_TLS_GROUPS, type EnvName } from './variables.js'

type Table = typeof VARIABLES

/** The fields of one group: each variable of the group as its field, typed by its kind's parse. */
type GroupFields<G extends GroupName> = {
  readonly [N in EnvName as Table[N]['group'] extends G ? Table[N]['field'] : never]: ReturnType<Table[N]['parse']>
}

/** The groups that are undefined unless their `presentWhen` variable is set. */
type OptionalGroup = { [G in GroupName]: (typeof GROUPS)[G] extends { presentWhen: string } ? G : never }[GroupName]

/** The validated configuration: one object per group of variables. Times carry their unit in the name. */
export type Config = {
  readonly [G in GroupName]: G extends OptionalGroup ? GroupFields<G> | undefined : GroupFields<G>
} & {
  /**
   * The variables whose values say this is not a development set-up (USERS_FILE, REDIS_URL, TLS,
   * TRUSTED_PROXIES, HOST, TLS_CERT, ALLOWED_ORIGINS), in that order; empty only with the
   * development defaults, the one set-up in which a missing users file is created with a demo account.
   */
  readonly productionSettings: readonly EnvName[]
}

/** The public listener: address, allowed origins, trusted proxies and HTTP timeouts (ms). */
export type HttpConfig = Config['http']
/** TLS on or off, the operator's certificate files, the development certificate's folder and the policy. */
export type TlsConfig = Config['tls']
/** The data folder, the users file and the hashing process's time limit (ms). */
export type AccountsConfig = Config['accounts']
/** Session timeouts (ms), the expiry sweep and the sessions one user may hold. */
export type SessionConfig = Config['session']
/** The WebSocket side: message budgets, handshake budgets, socket caps, deflate, heartbeat, re-check, leases. */
export type WsConfig = Config['ws']
/** The operators' listener (metrics, health, readiness); Config['metrics'] is undefined without METRICS_PORT. */
export type MetricsConfig = NonNullable<Config['metrics']>
/** The shared store; Config['redis'] is undefined without REDIS_URL (in-process stores, one instance). */
export type RedisConfig = NonNullable<Config['redis']>

/** Every variable with its default (as the string it would be in the environment). */
export const ENV_DEFAULTS: Readonly<Record<EnvName, string>> = Object.freeze(
  Object.fromEntries(VARIABLE_ENTRIES.map(([name, variable]) => [name, variable.default])) as Record<EnvName, string>
)

/** Variables whose values may hold secrets: a bad value is named, never shown. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(
  VARIABLE_ENTRIES.filter(([, variable]) => variable.secret === true).map(([name]) => name)
)

const envSchema = {
  type: 'object',
  properties: Object.fromEntries(VARIABLE_ENTRIES.map(([name, variable]) => [name, variable.schema])),
  required: VARIABLE_ENTRIES.map(([name]) => name),
  additionalProperties: false
}

const ajv = new Ajv({ coerceTypes: true, allErrors: true, strict: true })
const validateEnv = ajv.compile<ValidatedEnv>(envSchema)

/**
 * Reads and validates the configuration from `env` (default: process.env).
 * Only the variables in the table (variables.ts) are read; an empty value means "use the default".
 * @throws ConfigError naming the first bad variable
 */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  for (const [retired, replacement] of RETIRED_VARIABLES) {
    if ((env[retired] ?? '').trim() !== '') throw new ConfigError(retired, `is no longer supported: use ${replacement}`)
  }
  const validated = validate(env)
  const reader: EnvReader = { str: (name) => String(validated[name]), num: (name) => Number(validated[name]) }
  checkCombinations(reader)
  return deepFreeze({ ...groupsOf(validated), productionSettings: productionSettings(reader) })
}

/** Each variable as given (trimmed) or its default, validated (and coerced) against the schema. */
function validate (env: NodeJS.ProcessEnv): ValidatedEnv {
  const raw: Record<string, string | number> = {}
  for (const [name, variable] of VARIABLE_ENTRIES) {
    const given = env[name]
    raw[name] = given === undefined || given.trim() === '' ? variable.default : given.trim()
  }
  if (validateEnv(raw)) return raw
  // Ajv's message would show a pattern or name a schema keyword: the variable's kind says it in words.
  const first = validateEnv.errors?.[0]
  const name = first?.instancePath.replace(/^\//, '') || 'environment'
  const expected = VARIABLES[name as EnvName]?.expected
  const got = SECRET_VARIABLES.has(name)
    ? 'value not shown: it may hold a password'
    : `got ${JSON.stringify(String(env[name] ?? ''))}`
  throw new ConfigError(name, `${expected === undefined ? 'is invalid' : `must be ${expected}`} (${got})`)
}

/** The groups of Config: each variable read by its kind into its group's field; an absent optional group undefined. */
function groupsOf (env: ValidatedEnv): Omit<Config, 'productionSettings'> {
  const groups: Record<string, Record<string, unknown> | undefined> = {}
  for (const [group, spec] of Object.entries(GROUPS)) {
    groups[group] = 'presentWhen' in spec && env[spec.presentWhen] === '' ? undefined : {}
  }
  for (const [name, variable] of VARIABLE_ENTRIES) {
    const fields = groups[variable.group]
    if (fields !== undefined) fields[variable.field] = variable.parse(env[name] ?? variable.default, env)
  }
  // The shape follows from the table by construction: each variable's field, typed by its kind.
  return groups as unknown as Omit<Config, 'productionSettings'>
}

/** The default allow-list: our own https origin for localhost and 127.0.0.1 at `port`. */
export function defaultOrigins (port: number, tls = true): readonly string[] {
  const scheme = tls ? 'https' : 'http'
  const suffix = (tls && port === 443) || (!tls && port === 80) ? '' : `:${port}`
  return [`${scheme}://localhost${suffix}`, `${scheme}://127.0.0.1${suffix}`]
}

/** Recursively freezes an object so configuration cannot change after start-up. */
export function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
    Object.freeze(value)
  }
  return value
}
