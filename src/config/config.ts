// Configuration: read once from environment variables, validated against a JSON Schema,
// and handed around as one deep-frozen typed object. A bad value throws ConfigError naming
// the variable, so start-up stops before anything listens.
import { isIP } from 'node:net'
import path from 'node:path'
import { createSecureContext } from 'node:tls'
import { Ajv } from 'ajv'

/** OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1. */
export const ARGON2_MIN = Object.freeze({ memoryKiB: 19456, timeCost: 2, parallelism: 1 })

/**
 * TLS 1.3 suites, then the TLS 1.2 ECDHE AEAD suites, strongest first: Mozilla's "intermediate"
 * profile without DHE (no CBC, no CCM8, no static RSA). The default of TLS_CIPHERS.
 */
export const DEFAULT_TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305'
].join(':')

/** Key exchange groups, as Mozilla's intermediate profile lists them. The default of TLS_GROUPS. */
export const DEFAULT_TLS_GROUPS = 'X25519:prime256v1:secp384r1'

/** Every variable with its default (as the string it would be in the environment). */
export const ENV_DEFAULTS = Object.freeze({
  HOST: '127.0.0.1',
  PORT: '8443',
  ALLOWED_ORIGINS: '',
  TLS: 'on',
  TLS_CERT: '',
  TLS_KEY: '',
  CERTS_DIR: 'certs',
  TRUSTED_PROXIES: '',
  DATA_DIR: 'data',
  USERS_FILE: '',
  SESSION_IDLE_TIMEOUT_S: '1800',
  SESSION_ABSOLUTE_TIMEOUT_S: '28800',
  SESSION_SWEEP_INTERVAL_MS: '1000',
  ARGON2_MEMORY_KIB: String(ARGON2_MIN.memoryKiB),
  ARGON2_TIME_COST: String(ARGON2_MIN.timeCost),
  ARGON2_PARALLELISM: String(ARGON2_MIN.parallelism),
  HASH_CHECK_TIMEOUT_MS: '10000',
  RATE_LIMIT_MAX: '300',
  RATE_LIMIT_WINDOW_S: '60',
  RATE_LIMIT_CROSS_SITE_MAX: '300',
  LOGIN_RATE_IP_MAX: '20',
  LOGIN_RATE_USER_MAX: '5',
  LOGIN_RATE_WINDOW_S: '60',
  MAX_PAYLOAD: '4096',
  MESSAGE_RATE: '10',
  MESSAGE_BURST: '20',
  MAX_INVALID_MESSAGES: '10',
  MAX_RATE_LIMITED_MESSAGES: '20',
  ABUSE_WINDOW_S: '60',
  MAX_BUFFERED_BYTES: '65536',
  WS_HANDSHAKE_RATE: '10',
  WS_HANDSHAKE_BURST: '20',
  WS_REFUSED_HANDSHAKE_RATE: '10',
  WS_REFUSED_HANDSHAKE_BURST: '20',
  WS_MAX_CONNECTIONS_PER_IP: '50',
  WS_MAX_CONNECTIONS_PER_USER: '5',
  WS_PERMESSAGE_DEFLATE: 'off',
  WS_DEFLATE_THRESHOLD: '1024',
  HEARTBEAT_INTERVAL_MS: '30000',
  SHUTDOWN_TIMEOUT_MS: '10000',
  HTTP_HEADERS_TIMEOUT_MS: '10000',
  HTTP_REQUEST_TIMEOUT_MS: '30000',
  HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000',
  TLS_MIN_VERSION: 'TLSv1.2',
  TLS_CIPHERS: DEFAULT_TLS_CIPHERS,
  TLS_GROUPS: DEFAULT_TLS_GROUPS,
  MAX_SESSIONS_PER_USER: '10',
  DRAIN_DELAY_MS: '3000',
  METRICS_HOST: '127.0.0.1',
  METRICS_PORT: '',
  METRICS_TOKEN_FILE: '',
  METRICS_TLS: 'off',
  LOG_LEVEL: 'info',
  REDIS_URL: '',
  REDIS_KEY_PREFIX: 'hero-socket:',
  REDIS_TIMEOUT_MS: '1000',
  REDIS_USERNAME: '',
  REDIS_PASSWORD_FILE: '',
  REDIS_CA_FILE: '',
  REDIS_ALLOW_NO_AUTH: 'off',
  SESSION_RECHECK_INTERVAL_MS: '5000',
  WS_CONNECTION_LEASE_S: '30'
})

/** Variables no longer read, with what replaced them: setting one stops start-up. */
const RETIRED_VARIABLES: ReadonlyMap<string, string> = new Map([
  ['TRUST_PROXY_HOPS', 'TRUSTED_PROXIES (the addresses and CIDRs of your proxies, e.g. TRUSTED_PROXIES=127.0.0.1)']
])

/** Variables whose values may hold secrets: a bad value is named, never shown. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['REDIS_URL'])

export type EnvName = keyof typeof ENV_DEFAULTS

/** The validated configuration. Times carry their unit in the name. */
export interface Config {
  readonly host: string
  /** 0 picks a free port (tests). */
  readonly port: number
  /** Exact origins allowed to open the socket and post forms; undefined = our own origins (https, or http with TLS=off). */
  readonly allowedOrigins: readonly string[] | undefined
  /** false only when explicitly asked for (TLS=off), for running behind a TLS proxy. */
  readonly tls: boolean
  readonly tlsCertFile: string | undefined
  readonly tlsKeyFile: string | undefined
  readonly certsDir: string
  /** Addresses and CIDRs of the proxies in front of us, whose X-Forwarded-For is read (empty: none). */
  readonly trustedProxies: readonly string[]
  readonly dataDir: string
  readonly usersFile: string
  /**
   * The variables whose values say this is not a development set-up (USERS_FILE, REDIS_URL, TLS,
   * TRUSTED_PROXIES, HOST), in that order; empty only with the development defaults, the one
   * set-up in which a missing users file is created with a demo account.
   */
  readonly productionSettings: readonly EnvName[]
  readonly sessionIdleTimeoutMs: number
  readonly sessionAbsoluteTimeoutMs: number
  readonly sessionSweepIntervalMs: number
  readonly argon2: { readonly memoryKiB: number; readonly timeCost: number; readonly parallelism: number }
  /** Longest one password check may take in the hashing child before it is taken as stuck (ms). */
  readonly hashCheckTimeoutMs: number
  /**
   * The global per-IP limit (requests per window), and the budget of its own that requests
   * refused as cross-site spend instead (per IP per the same window).
   */
  readonly rateLimit: { readonly max: number; readonly windowMs: number; readonly crossSiteMax: number }
  readonly loginRateLimit: { readonly ipMax: number; readonly userMax: number; readonly windowMs: number }
  readonly maxPayloadBytes: number
  /** Messages (and client pings) per second refilled into each connection's bucket, and its size. */
  readonly messageRate: number
  readonly messageBurst: number
  /** Invalid messages (bad JSON, bad shape, unknown type) tolerated per abuse window. */
  readonly maxInvalidMessages: number
  /** Abuse tolerated per abuse window: messages sent while a told retryAfterMs still runs, pings past the bucket, unrequested pongs. */
  readonly maxRateLimitedMessages: number
  /** The abuse window (ms): each of the two counts above refills at its maximum per window. */
  readonly abuseWindowMs: number
  /** Unsent bytes past which a socket is dropped as a slow reader. */
  readonly maxBufferedBytes: number
  /** Handshakes per second per IP, with a burst. */
  readonly handshakeRate: number
  readonly handshakeBurst: number
  /** Refused handshakes per second per IP, with a burst: a budget of their own. */
  readonly refusedHandshakeRate: number
  readonly refusedHandshakeBurst: number
  readonly maxConnectionsPerIp: number
  readonly maxConnectionsPerUser: number
  readonly perMessageDeflate: boolean
  readonly deflateThresholdBytes: number
  readonly heartbeatIntervalMs: number
  readonly shutdownTimeoutMs: number
  /** HTTP timeouts (ms): all the headers, a whole request, an idle keep-alive connection. */
  readonly http: { readonly headersTimeoutMs: number, readonly requestTimeoutMs: number, readonly keepAliveTimeoutMs: number }
  readonly tlsMinVersion: 'TLSv1.2' | 'TLSv1.3'
  /** OpenSSL cipher list (TLS 1.3 suites and TLS 1.2 suites, colon-separated); checked against this OpenSSL at start-up. */
  readonly tlsCiphers: string
  /** Key exchange groups, colon-separated, preferred first (e.g. X25519MLKEM768:X25519 where OpenSSL knows it). */
  readonly tlsGroups: string
  /** Live sessions one user may hold; a login beyond it ends the oldest. */
  readonly maxSessionsPerUser: number
  /** After SIGTERM, how long /readyz says 503 while new sockets are still accepted (ms). */
  readonly drainDelayMs: number
  /** The operators' listener (metrics, health, readiness); undefined: off. */
  readonly metrics: MetricsConfig | undefined
  readonly logLevel: string
  /** The shared store; undefined: in-process stores (one instance). */
  readonly redis: RedisConfig | undefined
  /** How often each instance re-checks the sessions of its open sockets (ms). */
  readonly sessionRecheckIntervalMs: number
  /** How long a socket counts towards its user's cap on every instance without being renewed (ms). */
  readonly connectionLeaseMs: number
}

/** Where the operators' listener listens, and the token it asks for. */
export interface MetricsConfig {
  readonly host: string
  /** 0 picks a free port (tests). */
  readonly port: number
  /** A file holding the bearer token scrapes must send; undefined: none asked. */
  readonly tokenFile: string | undefined
  /** HTTPS with TLS_CERT/TLS_KEY and the public listener's TLS policy (METRICS_TLS=on); else plain HTTP, loopback only. */
  readonly tls: boolean
}

/** Where the shared store is, who we are to it, and how long any call to it may take. */
export interface RedisConfig {
  /** A redis:// or rediss:// URL, or the path of a unix socket; never with a password or options in it. */
  readonly url: string
  /** The ACL user to log in as; undefined: Redis's `default` user. */
  readonly username?: string | undefined
  /** A file holding the password (read at start-up); undefined: none sent. */
  readonly passwordFile?: string | undefined
  /** PEM file of the CA that signed a rediss:// server's certificate (a private CA); undefined: the system's CAs. */
  readonly caFile?: string | undefined
  /** Prefix of every key and channel, so deployments can share one Redis. */
  readonly keyPrefix: string
  /** Longest wait for any one command, and for the connection (ms). */
  readonly timeoutMs: number
}

const int = (minimum: number, maximum = 2 ** 31 - 1) => ({ type: 'integer', minimum, maximum })
const onOff = { type: 'string', enum: ['on', 'off'] }
const pathString = { type: 'string', maxLength: 4096 }

const envSchema = {
  type: 'object',
  properties: {
    HOST: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9.:\\-]+$' },
    PORT: int(0, 65535),
    ALLOWED_ORIGINS: { type: 'string', maxLength: 8192 },
    TLS: onOff,
    TLS_CERT: pathString,
    TLS_KEY: pathString,
    CERTS_DIR: { ...pathString, minLength: 1 },
    TRUSTED_PROXIES: { type: 'string', maxLength: 8192 },
    DATA_DIR: { ...pathString, minLength: 1 },
    USERS_FILE: pathString,
    SESSION_IDLE_TIMEOUT_S: int(1),
    SESSION_ABSOLUTE_TIMEOUT_S: int(1),
    SESSION_SWEEP_INTERVAL_MS: int(10, 3_600_000),
    ARGON2_MEMORY_KIB: int(ARGON2_MIN.memoryKiB, 4 * 1024 * 1024),
    ARGON2_TIME_COST: int(ARGON2_MIN.timeCost, 100),
    ARGON2_PARALLELISM: int(ARGON2_MIN.parallelism, 64),
    HASH_CHECK_TIMEOUT_MS: int(1000, 600_000),
    RATE_LIMIT_MAX: int(1),
    RATE_LIMIT_WINDOW_S: int(1),
    RATE_LIMIT_CROSS_SITE_MAX: int(1),
    LOGIN_RATE_IP_MAX: int(1),
    LOGIN_RATE_USER_MAX: int(1),
    LOGIN_RATE_WINDOW_S: int(1),
    MAX_PAYLOAD: int(64, 16 * 1024 * 1024),
    MESSAGE_RATE: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
    MESSAGE_BURST: int(1, 1_000_000),
    MAX_INVALID_MESSAGES: int(1),
    MAX_RATE_LIMITED_MESSAGES: int(1),
    ABUSE_WINDOW_S: int(1, 86_400),
    MAX_BUFFERED_BYTES: int(1024, 64 * 1024 * 1024),
    WS_HANDSHAKE_RATE: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
    WS_HANDSHAKE_BURST: int(1, 1_000_000),
    WS_REFUSED_HANDSHAKE_RATE: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
    WS_REFUSED_HANDSHAKE_BURST: int(1, 1_000_000),
    WS_MAX_CONNECTIONS_PER_IP: int(1),
    WS_MAX_CONNECTIONS_PER_USER: int(1),
    WS_PERMESSAGE_DEFLATE: onOff,
    WS_DEFLATE_THRESHOLD: int(0),
    HEARTBEAT_INTERVAL_MS: int(100, 3_600_000),
    SHUTDOWN_TIMEOUT_MS: int(100, 600_000),
    HTTP_HEADERS_TIMEOUT_MS: int(100, 600_000),
    HTTP_REQUEST_TIMEOUT_MS: int(100, 3_600_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: int(100, 600_000),
    TLS_MIN_VERSION: { type: 'string', enum: ['TLSv1.2', 'TLSv1.3'] },
    TLS_CIPHERS: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[A-Za-z0-9_:+@!.-]+$' },
    TLS_GROUPS: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9_:.-]+$' },
    MAX_SESSIONS_PER_USER: int(1, 1000),
    DRAIN_DELAY_MS: int(0, 600_000),
    METRICS_HOST: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9.:\\-]+$' },
    METRICS_PORT: { anyOf: [{ type: 'string', const: '' }, int(0, 65535)] },
    METRICS_TOKEN_FILE: pathString,
    METRICS_TLS: onOff,
    LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    REDIS_URL: { type: 'string', maxLength: 4096, pattern: '^$|^rediss?://[^\\s]+$|^/[^\\s]*$' },
    REDIS_KEY_PREFIX: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9:._{}-]+$' },
    REDIS_TIMEOUT_MS: int(10, 60_000),
    REDIS_USERNAME: { type: 'string', maxLength: 128, pattern: '^$|^[A-Za-z0-9._-]+$' },
    REDIS_PASSWORD_FILE: pathString,
    REDIS_CA_FILE: pathString,
    REDIS_ALLOW_NO_AUTH: onOff,
    SESSION_RECHECK_INTERVAL_MS: int(100, 3_600_000),
    WS_CONNECTION_LEASE_S: int(1, 3600)
  },
  required: Object.keys(ENV_DEFAULTS),
  additionalProperties: false
} as const

const ajv = new Ajv({ coerceTypes: true, allErrors: true, strict: true })
const validateEnv = ajv.compile<Record<EnvName, string & number>>(envSchema)

/** Thrown for a bad configuration value; `variable` names the environment variable. */
export class ConfigError extends Error {
  readonly variable: string
  constructor (variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

/**
 * Reads and validates the configuration from `env` (default: process.env).
 * Only the variables listed in ENV_DEFAULTS are read; an empty value means "use the default".
 * @throws ConfigError naming the first bad variable
 */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  for (const [retired, replacement] of RETIRED_VARIABLES) {
    if ((env[retired] ?? '').trim() !== '') throw new ConfigError(retired, `is no longer supported: use ${replacement}`)
  }
  const raw: Record<string, string | number> = {}
  for (const name of Object.keys(ENV_DEFAULTS) as EnvName[]) {
    const given = env[name]
    raw[name] = given === undefined || given.trim() === '' ? ENV_DEFAULTS[name] : given.trim()
  }
  if (!validateEnv(raw)) {
    const first = validateEnv.errors?.[0]
    const variable = first?.instancePath.replace(/^\//, '') || 'environment'
    const got = SECRET_VARIABLES.has(variable) ? 'value not shown: it may hold a password' : `got ${JSON.stringify(String(env[variable] ?? ''))}`
    throw new ConfigError(variable, `${first?.message ?? 'is invalid'} (${got})`)
  }
  return deepFreeze(fromEnvironment(raw as Record<EnvName, string | number>))
}

/** The typed configuration from validated variables. */
function fromEnvironment (v: Record<EnvName, string | number>): Config {
  const str = (name: EnvName): string => String(v[name])
  const num = (name: EnvName): number => Number(v[name])
  checkCombinations(str, num)
  const cert = str('TLS_CERT') || undefined
  const key = str('TLS_KEY') || undefined
  const dataDir = path.resolve(str('DATA_DIR'))
  const idle = num('SESSION_IDLE_TIMEOUT_S')
  const absolute = num('SESSION_ABSOLUTE_TIMEOUT_S')
  return {
    host: str('HOST'),
    port: num('PORT'),
    allowedOrigins: parseOrigins(str('ALLOWED_ORIGINS')),
    tls: str('TLS') === 'on',
    tlsCertFile: cert && path.resolve(cert),
    tlsKeyFile: key && path.resolve(key),
    certsDir: path.resolve(str('CERTS_DIR')),
    trustedProxies: parseProxies(str('TRUSTED_PROXIES')),
    dataDir,
    usersFile: path.resolve(str('USERS_FILE') || path.join(dataDir, 'users.json')),
    productionSettings: productionSettings(str),
    sessionIdleTimeoutMs: idle * 1000,
    sessionAbsoluteTimeoutMs: absolute * 1000,
    sessionSweepIntervalMs: num('SESSION_SWEEP_INTERVAL_MS'),
    argon2: { memoryKiB: num('ARGON2_MEMORY_KIB'), timeCost: num('ARGON2_TIME_COST'), parallelism: num('ARGON2_PARALLELISM') },
    hashCheckTimeoutMs: num('HASH_CHECK_TIMEOUT_MS'),
    rateLimit: { max: num('RATE_LIMIT_MAX'), windowMs: num('RATE_LIMIT_WINDOW_S') * 1000, crossSiteMax: num('RATE_LIMIT_CROSS_SITE_MAX') },
    loginRateLimit: { ipMax: num('LOGIN_RATE_IP_MAX'), userMax: num('LOGIN_RATE_USER_MAX'), windowMs: num('LOGIN_RATE_WINDOW_S') * 1000 },
    maxPayloadBytes: num('MAX_PAYLOAD'),
    messageRate: num('MESSAGE_RATE'),
    messageBurst: num('MESSAGE_BURST'),
    maxInvalidMessages: num('MAX_INVALID_MESSAGES'),
    maxRateLimitedMessages: num('MAX_RATE_LIMITED_MESSAGES'),
    abuseWindowMs: num('ABUSE_WINDOW_S') * 1000,
    maxBufferedBytes: num('MAX_BUFFERED_BYTES'),
    handshakeRate: num('WS_HANDSHAKE_RATE'),
    handshakeBurst: num('WS_HANDSHAKE_BURST'),
    refusedHandshakeRate: num('WS_REFUSED_HANDSHAKE_RATE'),
    refusedHandshakeBurst: num('WS_REFUSED_HANDSHAKE_BURST'),
    maxConnectionsPerIp: num('WS_MAX_CONNECTIONS_PER_IP'),
    maxConnectionsPerUser: num('WS_MAX_CONNECTIONS_PER_USER'),
    perMessageDeflate: str('WS_PERMESSAGE_DEFLATE') === 'on',
    deflateThresholdBytes: num('WS_DEFLATE_THRESHOLD'),
    heartbeatIntervalMs: num('HEARTBEAT_INTERVAL_MS'),
    shutdownTimeoutMs: num('SHUTDOWN_TIMEOUT_MS'),
    http: { headersTimeoutMs: num('HTTP_HEADERS_TIMEOUT_MS'), requestTimeoutMs: num('HTTP_REQUEST_TIMEOUT_MS'), keepAliveTimeoutMs: num('HTTP_KEEP_ALIVE_TIMEOUT_MS') },
    tlsMinVersion: str('TLS_MIN_VERSION') === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2',
    tlsCiphers: str('TLS_CIPHERS'),
    tlsGroups: str('TLS_GROUPS'),
    maxSessionsPerUser: num('MAX_SESSIONS_PER_USER'),
    drainDelayMs: num('DRAIN_DELAY_MS'),
    metrics: metricsConfig(str, num),
    logLevel: str('LOG_LEVEL'),
    redis: redisConfig(str, num),
    sessionRecheckIntervalMs: num('SESSION_RECHECK_INTERVAL_MS'),
    connectionLeaseMs: num('WS_CONNECTION_LEASE_S') * 1000
  }
}

/** The rules that tie variables together (and REDIS_URL's form, which JSON Schema cannot check). */
function checkCombinations (str: (name: EnvName) => string, num: (name: EnvName) => number): void {
  const idle = num('SESSION_IDLE_TIMEOUT_S')
  if (num('SESSION_ABSOLUTE_TIMEOUT_S') < idle) {
    throw new ConfigError('SESSION_ABSOLUTE_TIMEOUT_S', `must be at least SESSION_IDLE_TIMEOUT_S (${idle})`)
  }
  const cert = str('TLS_CERT') !== ''
  if (cert !== (str('TLS_KEY') !== '')) {
    throw new ConfigError(cert ? 'TLS_KEY' : 'TLS_CERT', 'must be set together with ' + (cert ? 'TLS_CERT' : 'TLS_KEY'))
  }
  if (num('HTTP_HEADERS_TIMEOUT_MS') > num('HTTP_REQUEST_TIMEOUT_MS')) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must be at most HTTP_REQUEST_TIMEOUT_MS (${num('HTTP_REQUEST_TIMEOUT_MS')})`)
  }
  if (num('DRAIN_DELAY_MS') >= num('SHUTDOWN_TIMEOUT_MS')) {
    throw new ConfigError('DRAIN_DELAY_MS', `must be less than SHUTDOWN_TIMEOUT_MS (${num('SHUTDOWN_TIMEOUT_MS')}), which must leave time to close the sockets`)
  }
  checkTlsPolicy(str)
  checkRedisAccess(str)
  checkOperatorsListener(str)
}

/**
 * The operators' listener carries a bearer token: in plain HTTP it stays on loopback; elsewhere it
 * needs METRICS_TLS=on, which serves it with the operator's certificate (TLS_CERT, TLS_KEY).
 */
function checkOperatorsListener (str: (name: EnvName) => string): void {
  if (str('METRICS_TLS') === 'on' && str('TLS_CERT') === '') {
    throw new ConfigError('METRICS_TLS', 'needs TLS_CERT and TLS_KEY: the operators\' listener is served with that certificate')
  }
  if (str('METRICS_PORT') !== '' && str('METRICS_TLS') !== 'on' && !isLoopbackHost(str('METRICS_HOST'))) {
    throw new ConfigError('METRICS_HOST', `is ${str('METRICS_HOST')}, not loopback, with the operators' listener in plain HTTP: its bearer token ` +
      'and metrics would cross the network in the clear. Keep it on loopback (scrape from beside the instance), or set METRICS_TLS=on')
  }
}

/** TLS_CIPHERS and TLS_GROUPS must be ones this process's OpenSSL knows (it names what it does not). */
function checkTlsPolicy (str: (name: EnvName) => string): void {
  for (const [variable, options] of [['TLS_CIPHERS', { ciphers: str('TLS_CIPHERS') }], ['TLS_GROUPS', { ecdhCurve: str('TLS_GROUPS') }]] as const) {
    try {
      createSecureContext(options)
    } catch (err) {
      throw new ConfigError(variable, `is not accepted by this OpenSSL (${process.versions.openssl}): ${(err as Error).message}`)
    }
  }
}

/**
 * REDIS_URL carries where Redis is, nothing else: no password (REDIS_PASSWORD_FILE), no user
 * (REDIS_USERNAME), no options. A Redis that others can reach needs a password, unless
 * REDIS_ALLOW_NO_AUTH=on says it is known to be safe; a CA file only makes sense with rediss://.
 */
function checkRedisAccess (str: (name: EnvName) => string): void {
  const url = str('REDIS_URL')
  const tcp = /^rediss?:/.test(url)
  if (tcp && !URL.canParse(url)) throw new ConfigError('REDIS_URL', 'is not a valid redis:// or rediss:// URL (value not shown: it may hold a password)')
  const parsed = tcp ? new URL(url) : undefined
  if (parsed !== undefined && (parsed.password !== '' || parsed.username !== '')) {
    throw new ConfigError('REDIS_URL', 'must not carry a user or password (value not shown): put the password in a file named by REDIS_PASSWORD_FILE, the user in REDIS_USERNAME')
  }
  if (url.includes('?')) throw new ConfigError('REDIS_URL', 'must not carry options after "?" (value not shown): they could hold a password, and each setting has its variable')
  if (str('REDIS_USERNAME') !== '' && str('REDIS_PASSWORD_FILE') === '') throw new ConfigError('REDIS_PASSWORD_FILE', 'must be set with REDIS_USERNAME')
  if (str('REDIS_CA_FILE') !== '' && parsed?.protocol !== 'rediss:') throw new ConfigError('REDIS_CA_FILE', 'is for a rediss:// REDIS_URL (TLS to Redis) only')
  const host = parsed?.hostname.replace(/^\[|\]$/g, '')
  if (host !== undefined && !isLoopbackHost(host) && str('REDIS_PASSWORD_FILE') === '' && str('REDIS_ALLOW_NO_AUTH') !== 'on') {
    throw new ConfigError('REDIS_PASSWORD_FILE', `must be set: REDIS_URL points at ${host}, not loopback, and anyone who can write to Redis can make sessions. ` +
      'Give the service an ACL user (REDIS_USERNAME, REDIS_PASSWORD_FILE; see deploy/redis/redis.conf), or set REDIS_ALLOW_NO_AUTH=on if nothing else can reach it')
  }
}

/** The operators' listener's settings; undefined without METRICS_PORT. */
function metricsConfig (str: (name: EnvName) => string, num: (name: EnvName) => number): MetricsConfig | undefined {
  if (str('METRICS_PORT') === '') return undefined
  const tokenFile = str('METRICS_TOKEN_FILE') === '' ? undefined : path.resolve(str('METRICS_TOKEN_FILE'))
  return { host: str('METRICS_HOST'), port: num('METRICS_PORT'), tokenFile, tls: str('METRICS_TLS') === 'on' }
}

/** The shared store's settings; undefined without REDIS_URL. */
function redisConfig (str: (name: EnvName) => string, num: (name: EnvName) => number): RedisConfig | undefined {
  if (str('REDIS_URL') === '') return undefined
  const file = (name: EnvName): string | undefined => str(name) === '' ? undefined : path.resolve(str(name))
  return {
    url: str('REDIS_URL'),
    username: str('REDIS_USERNAME') || undefined,
    passwordFile: file('REDIS_PASSWORD_FILE'),
    caFile: file('REDIS_CA_FILE'),
    keyPrefix: str('REDIS_KEY_PREFIX'),
    timeoutMs: num('REDIS_TIMEOUT_MS')
  }
}

/**
 * The variables set away from the development defaults in a way only a deployment would: an
 * explicit USERS_FILE, a shared store, plain HTTP behind a proxy, trusted proxies, a HOST others
 * reach, a certificate of its own, a public origin (ALLOWED_ORIGINS).
 */
function productionSettings (str: (name: EnvName) => string): readonly EnvName[] {
  const signs: ReadonlyArray<[EnvName, boolean]> = [
    ['USERS_FILE', str('USERS_FILE') !== ''],
    ['REDIS_URL', str('REDIS_URL') !== ''],
    ['TLS', str('TLS') !== 'on'],
    ['TRUSTED_PROXIES', str('TRUSTED_PROXIES') !== ''],
    ['HOST', !isLoopbackHost(str('HOST'))],
    ['TLS_CERT', str('TLS_CERT') !== ''],
    ['ALLOWED_ORIGINS', str('ALLOWED_ORIGINS') !== '']
  ]
  return signs.filter(([, set]) => set).map(([name]) => name)
}

/** Parses TRUSTED_PROXIES: comma-separated IP addresses and CIDRs (v4 or v6). */
function parseProxies (value: string): readonly string[] {
  const entries = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const entry of entries) {
    if (!isAddressOrCidr(entry)) throw new ConfigError('TRUSTED_PROXIES', `entries must be IP addresses or CIDRs like 10.0.0.0/8 (got ${JSON.stringify(entry)})`)
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

/** Parses ALLOWED_ORIGINS: comma-separated exact origins (scheme://host[:port], no path). */
function parseOrigins (value: string): readonly string[] | undefined {
  if (value === '') return undefined
  const origins = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const origin of origins) {
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      throw new ConfigError('ALLOWED_ORIGINS', `has an entry that is not a URL: ${JSON.stringify(origin)}`)
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
      throw new ConfigError('ALLOWED_ORIGINS', `entries must be exact origins like https://example.com:8443 (got ${JSON.stringify(origin)})`)
    }
  }
  return origins
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

/** Loopback hosts, for which the development certificate may be used. */
export function isLoopbackHost (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}
