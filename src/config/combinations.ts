// The rules that tie configuration variables together, checked on the validated environment
// before Config is built (and REDIS_URL's form, which JSON Schema cannot check). Each broken rule
// throws a ConfigError naming the variable to change. Also which variables mark a deployment.
import { createSecureContext } from 'node:tls'
import { ConfigError } from './config-error.js'
import { isLoopbackHost, loopbackTypoOf } from './loopback-host.js'
import type { EnvName } from './variables.js'

/** A validated variable's value, as a string or as a number. */
export interface EnvReader {
  readonly str: (name: EnvName) => string
  readonly num: (name: EnvName) => number
}

/** Throws a ConfigError for the first rule the variables break together. */
export function checkCombinations ({ str, num }: EnvReader): void {
  checkHosts(str)
  const idle = num('SESSION_IDLE_TIMEOUT_S')
  if (num('SESSION_ABSOLUTE_TIMEOUT_S') < idle) {
    throw new ConfigError('SESSION_ABSOLUTE_TIMEOUT_S', `must be at least SESSION_IDLE_TIMEOUT_S (${idle})`)
  }
  const cert = str('TLS_CERT') !== ''
  if (cert !== (str('TLS_KEY') !== '')) {
    throw new ConfigError(cert ? 'TLS_KEY' : 'TLS_CERT', 'must be set together with ' + (cert ? 'TLS_CERT' : 'TLS_KEY'))
  }
  if (num('HTTP_HEADERS_TIMEOUT_MS') > num('HTTP_REQUEST_TIMEOUT_MS')) {
    const request = num('HTTP_REQUEST_TIMEOUT_MS')
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must be at most HTTP_REQUEST_TIMEOUT_MS (${request})`)
  }
  if (num('DRAIN_DELAY_MS') >= num('SHUTDOWN_TIMEOUT_MS')) {
    throw new ConfigError('DRAIN_DELAY_MS', `must be less than SHUTDOWN_TIMEOUT_MS (${num('SHUTDOWN_TIMEOUT_MS')}), ` +
      'which must leave time to close the sockets')
  }
  checkTlsPolicy(str)
  checkRedisAccess(str)
  checkOperatorsListener(str)
}

/** A HOST or METRICS_HOST that looks like a loopback name mistyped, and the two listeners on one port. */
function checkHosts (str: EnvReader['str']): void {
  for (const variable of ['HOST', 'METRICS_HOST'] as const) {
    const meant = loopbackTypoOf(str(variable))
    if (meant !== undefined) {
      throw new ConfigError(variable, `is ${JSON.stringify(str(variable))}, which looks like a typo of ${meant}: ` +
        `set ${variable}=${meant}`)
    }
  }
  const port = str('PORT')
  if (port === str('METRICS_PORT') && port !== '0' && hostsOverlap(str('HOST'), str('METRICS_HOST'))) {
    throw new ConfigError('METRICS_PORT', `is ${port}, the port of PORT on the same address: the operators' ` +
      'listener needs a port of its own. Set METRICS_PORT to another port, like 9090')
  }
}

/** Whether two listeners on `a` and `b` would take the same address (equal, a wildcard, or localhost and loopback). */
function hostsOverlap (a: string, b: string): boolean {
  const wildcard = (host: string): boolean => host === '0.0.0.0' || host === '::'
  const localhost = (x: string, y: string): boolean => x === 'localhost' && isLoopbackHost(y)
  return a === b || wildcard(a) || wildcard(b) || localhost(a, b) || localhost(b, a)
}

/**
 * The operators' listener carries a bearer token: in plain HTTP it stays on loopback; elsewhere it
 * needs METRICS_TLS=on, which serves it with the operator's certificate (TLS_CERT, TLS_KEY).
 */
function checkOperatorsListener (str: EnvReader['str']): void {
  if (str('METRICS_TLS') === 'on' && str('TLS_CERT') === '') {
    throw new ConfigError('METRICS_TLS', 'needs TLS_CERT and TLS_KEY: the operators\' listener is served with that ' +
      'certificate')
  }
  if (str('METRICS_PORT') !== '' && str('METRICS_TLS') !== 'on' && !isLoopbackHost(str('METRICS_HOST'))) {
    throw new ConfigError('METRICS_HOST', `is ${str('METRICS_HOST')}, not loopback, with the operators' listener in ` +
      'plain HTTP: its bearer token and metrics would cross the network in the clear. Keep it on loopback (scrape ' +
      'from beside the instance), or set METRICS_TLS=on')
  }
}

/** TLS_CIPHERS and TLS_GROUPS must be ones this process's OpenSSL knows (it names what it does not). */
function checkTlsPolicy (str: EnvReader['str']): void {
  const policies = [
    ['TLS_CIPHERS', { ciphers: str('TLS_CIPHERS') }],
    ['TLS_GROUPS', { ecdhCurve: str('TLS_GROUPS') }]
  ] as const
  for (const [variable, options] of policies) {
    try {
      createSecureContext(options)
    } catch (err) {
      const openssl = process.versions.openssl
      throw new ConfigError(variable, `is not accepted by this OpenSSL (${openssl}): ${(err as Error).message}`)
    }
  }
}

/**
 * REDIS_URL carries where Redis is, nothing else: no password (REDIS_PASSWORD_FILE), no user
 * (REDIS_USERNAME), no options. A Redis that others can reach needs a password, unless
 * REDIS_ALLOW_NO_AUTH=on says it is known to be safe; a CA file only makes sense with rediss://.
 */
function checkRedisAccess (str: EnvReader['str']): void {
  const url = str('REDIS_URL')
  const tcp = /^rediss?:/.test(url)
  if (tcp && !URL.canParse(url)) {
    throw new ConfigError('REDIS_URL', 'is not a valid redis:// or rediss:// URL (value not shown: it may hold a ' +
      'password)')
  }
  const parsed = tcp ? new URL(url) : undefined
  if (parsed !== undefined && (parsed.password !== '' || parsed.username !== '')) {
    throw new ConfigError('REDIS_URL', 'must not carry a user or password (value not shown): put the password in a ' +
      'file named by REDIS_PASSWORD_FILE, the user in REDIS_USERNAME')
  }
  if (url.includes('?')) {
    throw new ConfigError('REDIS_URL', 'must not carry options after "?" (value not shown): they could hold a ' +
      'password, and each setting has its variable')
  }
  if (str('REDIS_USERNAME') !== '' && str('REDIS_PASSWORD_FILE') === '') {
    throw new ConfigError('REDIS_PASSWORD_FILE', 'must be set with REDIS_USERNAME')
  }
  if (str('REDIS_CA_FILE') !== '' && parsed?.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_CA_FILE', 'is for a rediss:// REDIS_URL (TLS to Redis) only')
  }
  const host = parsed?.hostname.replace(/^\[|\]$/g, '')
  const unauthenticated = str('REDIS_PASSWORD_FILE') === '' && str('REDIS_ALLOW_NO_AUTH') !== 'on'
  if (host !== undefined && !isLoopbackHost(host) && unauthenticated) {
    throw new ConfigError('REDIS_PASSWORD_FILE', `must be set: REDIS_URL points at ${host}, not loopback, and anyone ` +
      'who can write to Redis can make sessions. Give the service an ACL user (REDIS_USERNAME, REDIS_PASSWORD_FILE; ' +
      'see deploy/redis/redis.conf), or set REDIS_ALLOW_NO_AUTH=on if nothing else can reach it')
  }
}

/**
 * The variables set away from the development defaults in a way only a deployment would: an
 * explicit USERS_FILE, a shared store, plain HTTP behind a proxy, trusted proxies, a HOST others
 * reach, a certificate of its own, a public origin (ALLOWED_ORIGINS).
 */
export function productionSettings ({ str }: EnvReader): readonly EnvName[] {
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
