// Configuration: every bad value stops loadConfig with a ConfigError naming the variable, and
// the result is one deep-frozen object.
import path from 'node:path'
import t from 'tap'
import { ConfigError, ENV_DEFAULTS, loadConfig, type Config } from '../../src/config/config.js'

/** The ConfigError loadConfig throws for `env`, or undefined when it does not throw one. */
function configErrorFor (env: Record<string, string>): ConfigError | undefined {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  return undefined
}

function isDeepFrozen (value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen)
}

t.test('the defaults load into a deep-frozen configuration', async (t) => {
  const config = loadConfig({})
  t.equal(config.http.host, '127.0.0.1')
  t.equal(config.http.port, 8443)
  t.equal(config.tls.enabled, true)
  t.equal(config.http.allowedOrigins, undefined)
  t.same(config.argon2, { memoryKiB: 19456, timeCost: 2, parallelism: 1 })
  t.equal(config.session.idleTimeoutMs, 1_800_000)
  t.equal(config.session.absoluteTimeoutMs, 28_800_000)
  t.ok(isDeepFrozen(config), 'every nested object is frozen')
  t.throws(() => { (config.http as { port: number }).port = 1 }, TypeError, 'assignment fails in strict mode')
  t.throws(() => { (config as { http: unknown }).http = {} }, TypeError, 'a group cannot be replaced')
  t.throws(() => { (config.argon2 as { memoryKiB: number }).memoryKiB = 1 }, TypeError)
  t.equal(config.http.port, 8443)
  t.equal(config.argon2.memoryKiB, 19456)
})

t.test('given values are parsed, and nested arrays are frozen too', async (t) => {
  const config: Config = loadConfig({
    PORT: '0',
    ALLOWED_ORIGINS: 'https://heroes.example.com, https://localhost:8443',
    SESSION_IDLE_TIMEOUT_S: '60',
    SESSION_ABSOLUTE_TIMEOUT_S: '60',
    LOG_LEVEL: 'warn'
  })
  t.equal(config.http.port, 0)
  t.same(config.http.allowedOrigins, ['https://heroes.example.com', 'https://localhost:8443'])
  t.equal(config.session.idleTimeoutMs, 60_000)
  t.equal(config.session.absoluteTimeoutMs, 60_000, 'absolute equal to idle is allowed')
  t.equal(config.log.level, 'warn')
  t.ok(isDeepFrozen(config))
  t.ok(Object.isFrozen(config.http.allowedOrigins))
  t.throws(() => { (config.http.allowedOrigins as string[]).push('https://evil.example') }, TypeError)
})

t.test('an empty value means the default', async (t) => {
  t.equal(loadConfig({ PORT: '', LOG_LEVEL: '  ' }).http.port, Number(ENV_DEFAULTS.PORT))
})

const badValues: Array<{ env: Record<string, string>, variable: string, why: string }> = [
  { env: { PORT: 'abc' }, variable: 'PORT', why: 'not a number' },
  { env: { PORT: '70000' }, variable: 'PORT', why: 'above 65535' },
  { env: { PORT: '-1' }, variable: 'PORT', why: 'negative' },
  { env: { PORT: '80.5' }, variable: 'PORT', why: 'not an integer' },
  { env: { ARGON2_MEMORY_KIB: '19455' }, variable: 'ARGON2_MEMORY_KIB', why: 'below the OWASP minimum' },
  { env: { ARGON2_MEMORY_KIB: '4096' }, variable: 'ARGON2_MEMORY_KIB', why: 'far below the OWASP minimum' },
  { env: { ARGON2_TIME_COST: '1' }, variable: 'ARGON2_TIME_COST', why: 'below the OWASP minimum' },
  { env: { LOG_LEVEL: 'loud' }, variable: 'LOG_LEVEL', why: 'not a pino level' },
  { env: { ALLOWED_ORIGINS: 'https://x.com/path' }, variable: 'ALLOWED_ORIGINS', why: 'an origin with a path' },
  { env: { ALLOWED_ORIGINS: 'https://x.com/' }, variable: 'ALLOWED_ORIGINS', why: 'an origin with a trailing slash' },
  { env: { ALLOWED_ORIGINS: 'x.com' }, variable: 'ALLOWED_ORIGINS', why: 'not a URL' },
  { env: { ALLOWED_ORIGINS: 'ftp://x.com' }, variable: 'ALLOWED_ORIGINS', why: 'not http(s)' },
  { env: { TLS_CERT: '/etc/hero/cert.pem' }, variable: 'TLS_KEY', why: 'a certificate without its key' },
  { env: { TLS_KEY: '/etc/hero/key.pem' }, variable: 'TLS_CERT', why: 'a key without its certificate' },
  {
    env: { SESSION_IDLE_TIMEOUT_S: '600', SESSION_ABSOLUTE_TIMEOUT_S: '599' },
    variable: 'SESSION_ABSOLUTE_TIMEOUT_S',
    why: 'absolute shorter than idle'
  },
  { env: { SESSION_IDLE_TIMEOUT_S: '0' }, variable: 'SESSION_IDLE_TIMEOUT_S', why: 'zero' },
  { env: { TLS: 'maybe' }, variable: 'TLS', why: 'not on/off' },
  { env: { HOST: 'localhost; rm -rf /' }, variable: 'HOST', why: 'not a host name' },
  { env: { MESSAGE_RATE: '0' }, variable: 'MESSAGE_RATE', why: 'zero' },
  { env: { MAX_PAYLOAD: '16' }, variable: 'MAX_PAYLOAD', why: 'below 64 bytes' },
  { env: { TRUSTED_PROXIES: '10.0.0.0/33' }, variable: 'TRUSTED_PROXIES', why: 'a prefix longer than 32 bits' },
  { env: { TRUSTED_PROXIES: '127.0.0.1, nginx' }, variable: 'TRUSTED_PROXIES', why: 'a name, not an address' },
  { env: { TRUSTED_PROXIES: '::1/129' }, variable: 'TRUSTED_PROXIES', why: 'a prefix longer than 128 bits' },
  {
    env: { HTTP_HEADERS_TIMEOUT_MS: '40000', HTTP_REQUEST_TIMEOUT_MS: '30000' },
    variable: 'HTTP_HEADERS_TIMEOUT_MS',
    why: 'longer than the whole request'
  },
  { env: { TLS_MIN_VERSION: 'TLSv1.1' }, variable: 'TLS_MIN_VERSION', why: 'too old' },
  { env: { MAX_BUFFERED_BYTES: '10' }, variable: 'MAX_BUFFERED_BYTES', why: 'below 1 KiB' },
  { env: { REDIS_URL: 'http://redis:6379' }, variable: 'REDIS_URL', why: 'not redis:// or a socket path' },
  { env: { REDIS_KEY_PREFIX: 'has space' }, variable: 'REDIS_KEY_PREFIX', why: 'a space' },
  {
    env: { DRAIN_DELAY_MS: '10000', SHUTDOWN_TIMEOUT_MS: '10000' },
    variable: 'DRAIN_DELAY_MS',
    why: 'leaves no time to close the sockets'
  },
  {
    env: { REDIS_URL: 'redis://redis.internal:6379' },
    variable: 'REDIS_PASSWORD_FILE',
    why: 'a Redis others can reach, with no password'
  },
  { env: { REDIS_URL: 'rediss://10.0.0.7:6380' }, variable: 'REDIS_PASSWORD_FILE', why: 'TLS is no password' },
  {
    env: { REDIS_URL: 'redis://[fd00::7]:6379' },
    variable: 'REDIS_PASSWORD_FILE',
    why: 'an IPv6 address others can reach, with no password'
  },
  {
    env: { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_USERNAME: 'hero-socket' },
    variable: 'REDIS_PASSWORD_FILE',
    why: 'a user without a password'
  },
  {
    env: { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CA_FILE: '/etc/ca.pem' },
    variable: 'REDIS_CA_FILE',
    why: 'a CA without TLS'
  },
  {
    env: { REDIS_URL: 'redis://redis.internal:6379', REDIS_ALLOW_NO_AUTH: 'true' },
    variable: 'REDIS_ALLOW_NO_AUTH',
    why: 'not on/off'
  },
  { env: { REDIS_USERNAME: 'hero socket' }, variable: 'REDIS_USERNAME', why: 'a space' },
  { env: { TLS_GROUPS: 'X25519:no-such-group' }, variable: 'TLS_GROUPS', why: 'a group OpenSSL does not know' },
  { env: { TLS_CIPHERS: 'NO-SUCH-SUITE' }, variable: 'TLS_CIPHERS', why: 'a list OpenSSL matches nothing of' },
  { env: { TLS_CIPHERS: 'ECDHE-RSA-AES128-GCM-SHA256; rm' }, variable: 'TLS_CIPHERS', why: 'not an OpenSSL list' }
]

for (const { env, variable, why } of badValues) {
  const settings = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')
  t.test(`${settings} (${why}) throws a ConfigError naming ${variable}`, async (t) => {
    const err = configErrorFor(env)
    t.ok(err instanceof ConfigError, 'throws a ConfigError')
    t.equal(err?.variable, variable, '.variable names it')
    t.match(err?.message, new RegExp(`\\b${variable}\\b`), 'the message names it')
    t.equal(err?.name, 'ConfigError')
  })
}

t.test('the session timeouts have upper bounds (NIST SP 800-63B-4 AAL2, docs/sessions.md)', async (t) => {
  t.equal(configErrorFor({ SESSION_IDLE_TIMEOUT_S: '3601' })?.message,
    'Invalid configuration: SESSION_IDLE_TIMEOUT_S must be a whole number of seconds from 1 to 3600 (got "3601")')
  t.equal(configErrorFor({ SESSION_IDLE_TIMEOUT_S: '600', SESSION_ABSOLUTE_TIMEOUT_S: '86401' })?.message,
    'Invalid configuration: SESSION_ABSOLUTE_TIMEOUT_S must be a whole number of seconds from 1 to 86400 (got "86401")')
  const session = loadConfig({ SESSION_IDLE_TIMEOUT_S: '3600', SESSION_ABSOLUTE_TIMEOUT_S: '86400' }).session
  t.same([session.idleTimeoutMs, session.absoluteTimeoutMs], [3_600_000, 86_400_000], 'the bounds are allowed')
})

t.test('TRUST_PROXY_HOPS stops start-up, naming TRUSTED_PROXIES', async (t) => {
  const err = configErrorFor({ TRUST_PROXY_HOPS: '1' })
  t.equal(err?.variable, 'TRUST_PROXY_HOPS')
  t.match(err?.message, /no longer supported: use TRUSTED_PROXIES/)
  t.equal(configErrorFor({ TRUST_PROXY_HOPS: '' }), undefined, 'unless it is empty')
})

t.test('TRUSTED_PROXIES: addresses and CIDRs of both families', async (t) => {
  t.same(
    loadConfig({ TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8,::1, fd00::/8' }).http.trustedProxies,
    ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']
  )
  t.same(loadConfig({}).http.trustedProxies, [], 'none by default')
})

t.test('a bad REDIS_URL is named but never shown: it may hold a password', async (t) => {
  for (const url of ['http://user:s3cret@redis:6379', 'redis://user:s3cret@[bad']) {
    const err = configErrorFor({ REDIS_URL: url })
    t.equal(err?.variable, 'REDIS_URL')
    t.notMatch(err?.message, 's3cret', `${url.split(':')[0]}: the value is not in the message`)
  }
  for (const url of [
    'rediss://user:s3cret@redis.example:6380/2',
    'redis://:s3cret@127.0.0.1:6379',
    'redis://127.0.0.1:6379?password=s3cret',
    '/run/redis.sock?password=s3cret'
  ]) {
    const err = configErrorFor({ REDIS_URL: url })
    t.equal(err?.variable, 'REDIS_URL', `a password in the URL (${url.replace('s3cret', '…')}) is refused`)
    t.notMatch(err?.message, 's3cret', 'and not shown')
  }
  t.match(loadConfig({
    REDIS_URL: 'rediss://redis.example:6380/2',
    REDIS_USERNAME: 'hero-socket',
    REDIS_PASSWORD_FILE: '/etc/hero-socket/redis-password'
  }).redis,
  {
    url: 'rediss://redis.example:6380/2',
    username: 'hero-socket',
    passwordFile: '/etc/hero-socket/redis-password',
    caFile: undefined,
    keyPrefix: 'hero-socket:',
    timeoutMs: 1000
  })
  t.match(loadConfig({ REDIS_URL: '/run/redis/redis.sock' }).redis, { url: '/run/redis/redis.sock' })
  t.equal(loadConfig({}).redis, undefined, 'unset: in-process stores')
})

t.test('unknown variables are ignored, not an error', async (t) => {
  t.equal(loadConfig({ PORT: '9000', SOMETHING_ELSE: 'x' }).http.port, 9000)
})

t.test('productionSettings names what takes a set-up away from the development defaults', async (t) => {
  t.same(loadConfig({}).productionSettings, [], 'the defaults: a development set-up')
  t.same(
    loadConfig({ HOST: 'localhost', PORT: '0', DATA_DIR: 'elsewhere', LOG_LEVEL: 'debug' }).productionSettings,
    [],
    'a loopback HOST, a port, a data folder: still development'
  )
  t.same(loadConfig({ USERS_FILE: 'users.json' }).productionSettings, ['USERS_FILE'])
  t.same(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).productionSettings, ['REDIS_URL'])
  t.same(loadConfig({ TLS: 'off' }).productionSettings, ['TLS'])
  t.same(loadConfig({ TRUSTED_PROXIES: '127.0.0.1' }).productionSettings, ['TRUSTED_PROXIES'])
  t.same(loadConfig({ HOST: '0.0.0.0' }).productionSettings, ['HOST'])
  t.same(
    loadConfig({ TLS_CERT: 'cert.pem', TLS_KEY: 'key.pem' }).productionSettings,
    ['TLS_CERT'],
    'a certificate of its own, even on loopback'
  )
  t.same(loadConfig({ ALLOWED_ORIGINS: 'https://heroes.example.com' }).productionSettings, ['ALLOWED_ORIGINS'])
  t.same(
    loadConfig({ TLS: 'off', HOST: '10.0.0.5', TRUSTED_PROXIES: '10.0.0.1' }).productionSettings,
    ['TLS', 'TRUSTED_PROXIES', 'HOST']
  )
})

t.test('Redis without a password is allowed on loopback, a socket, or when REDIS_ALLOW_NO_AUTH=on says ' +
  'so', async (t) => {
  for (const url of [
    'redis://127.0.0.1:6379',
    'redis://localhost:6379',
    'redis://[::1]:6379',
    '/run/redis/redis.sock'
  ]) {
    t.match(
      loadConfig({ REDIS_URL: url }).redis,
      { url, username: undefined, passwordFile: undefined },
      `${url}: local, no password needed`
    )
  }
  t.match(
    loadConfig({ REDIS_URL: 'redis://redis.internal:6379', REDIS_ALLOW_NO_AUTH: 'on' }).redis,
    { url: 'redis://redis.internal:6379' },
    'REDIS_ALLOW_NO_AUTH=on'
  )
  t.match(loadConfig(
    { REDIS_URL: 'rediss://redis.internal:6380', REDIS_PASSWORD_FILE: 'pw', REDIS_CA_FILE: 'ca.pem' }
  ).redis,
  { passwordFile: path.resolve('pw'), caFile: path.resolve('ca.pem') }, 'files resolved to absolute paths')
})

t.test('TLS_CIPHERS and TLS_GROUPS: the defaults as before, and any list this OpenSSL knows', async (t) => {
  t.equal(loadConfig({}).tls.groups, 'X25519:prime256v1:secp384r1')
  t.match(loadConfig({}).tls.ciphers, /^TLS_AES_128_GCM_SHA256:.*:ECDHE-RSA-CHACHA20-POLY1305$/)
  t.equal(loadConfig({ TLS_GROUPS: 'secp521r1:X25519' }).tls.groups, 'secp521r1:X25519')
  t.equal(
    loadConfig({ TLS_CIPHERS: 'TLS_AES_256_GCM_SHA384:ECDHE-ECDSA-AES256-GCM-SHA384' }).tls.ciphers,
    'TLS_AES_256_GCM_SHA384:ECDHE-ECDSA-AES256-GCM-SHA384'
  )
  const err = configErrorFor({ TLS_GROUPS: 'X25519:no-such-group' })
  t.match(
    err?.message,
    new RegExp(`TLS_GROUPS is not accepted by this OpenSSL \\(${process.versions.openssl.replaceAll('.', '\\.')}\\)`),
    'the message says which OpenSSL'
  )
})

/** The first-hour mistakes, each with the exact sentence start-up stops with (after "hero-socket: "). */
const plainErrors: Array<{ env: Record<string, string>, message: string }> = [
  { env: { TLS: 'of' }, message: 'Invalid configuration: TLS must be on or off (got "of")' },
  {
    env: { LOG_LEVEL: 'verbose' },
    message: 'Invalid configuration: LOG_LEVEL must be fatal, error, warn, info, debug, trace or silent ' +
      '(got "verbose")'
  },
  {
    env: { TLS_MIN_VERSION: 'TLSv1.1' },
    message: 'Invalid configuration: TLS_MIN_VERSION must be TLSv1.2 or TLSv1.3 (got "TLSv1.1")'
  },
  {
    env: { REDIS_URL: 'foo' },
    message: 'Invalid configuration: REDIS_URL must be redis://host:port, rediss://host:port (TLS) or the absolute ' +
      'path of a unix socket, with no spaces (value not shown: it may hold a password)'
  },
  { env: { PORT: 'abc' }, message: 'Invalid configuration: PORT must be a whole number from 0 to 65535 (got "abc")' },
  {
    env: { RATE_LIMIT_MAX: '0' },
    message: 'Invalid configuration: RATE_LIMIT_MAX must be a whole number, at least 1 (got "0")'
  },
  {
    env: { METRICS_PORT: 'x' },
    message: 'Invalid configuration: METRICS_PORT must be a port from 0 to 65535, or empty for none (got "x")'
  },
  {
    env: { DRAIN_DELAY_MS: '-1' },
    message: 'Invalid configuration: DRAIN_DELAY_MS must be a whole number from 0 to 600000, or empty for the ' +
      'default (got "-1")'
  },
  {
    env: { HOST: 'localhost; rm -rf /' },
    message: 'Invalid configuration: HOST must be a host name or IP address (letters, digits, dots, colons and ' +
      'hyphens), like 127.0.0.1 (got "localhost; rm -rf /")'
  },
  {
    env: { REDIS_KEY_PREFIX: 'has space' },
    message: 'Invalid configuration: REDIS_KEY_PREFIX must be a prefix of 1 to 64 letters, digits and the ' +
      'characters : . _ { } - (got "has space")'
  },
  {
    env: { HOST: 'localhst' },
    message: 'Invalid configuration: HOST is "localhst", which looks like a typo of localhost: set HOST=localhost'
  },
  {
    env: { HOST: 'locahost' },
    message: 'Invalid configuration: HOST is "locahost", which looks like a typo of localhost: set HOST=localhost'
  },
  {
    env: { HOST: '127.0.0.l' },
    message: 'Invalid configuration: HOST is "127.0.0.l", which looks like a typo of 127.0.0.1: set HOST=127.0.0.1'
  },
  {
    env: { METRICS_PORT: '9090', METRICS_HOST: 'lcoalhost' },
    message: 'Invalid configuration: METRICS_HOST is "lcoalhost", which looks like a typo of localhost: set ' +
      'METRICS_HOST=localhost'
  },
  {
    env: { METRICS_PORT: '8443' },
    message: 'Invalid configuration: METRICS_PORT is 8443, the port of PORT on the same address: the operators\' ' +
      'listener needs a port of its own. Set METRICS_PORT to another port, like 9090'
  },
  {
    env: { PORT: '9000', METRICS_PORT: '9000', HOST: '0.0.0.0', TLS_CERT: 'c.pem', TLS_KEY: 'k.pem' },
    message: 'Invalid configuration: METRICS_PORT is 9000, the port of PORT on the same address: the operators\' ' +
      'listener needs a port of its own. Set METRICS_PORT to another port, like 9090'
  },
  {
    env: { PORT: '9000', METRICS_PORT: '9000', HOST: 'localhost' },
    message: 'Invalid configuration: METRICS_PORT is 9000, the port of PORT on the same address: the operators\' ' +
      'listener needs a port of its own. Set METRICS_PORT to another port, like 9090'
  }
]

for (const { env, message } of plainErrors) {
  const settings = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')
  t.test(`${settings}: one plain sentence`, async (t) => {
    t.equal(configErrorFor(env)?.message, message)
  })
}

t.test('no message shows a pattern or a schema keyword: each kind says in words what it takes', async (t) => {
  for (const { env } of [...badValues, ...plainErrors]) {
    const message = configErrorFor(env)?.message ?? ''
    t.notMatch(message, /pattern|allowed values|must NOT|must match|must be (integer|number|string|>|<)|\^|\$\//,
      `${Object.keys(env).join(' ')}: ${message}`)
  }
})

t.test('the listeners may share a port number on addresses apart, and both pick one with 0', async (t) => {
  t.equal(loadConfig({ PORT: '9000', HOST: '127.0.0.2', METRICS_PORT: '9000' }).metrics?.port, 9000)
  t.equal(loadConfig({ PORT: '0', METRICS_PORT: '0' }).metrics?.port, 0)
})

t.test('DRAIN_DELAY_MS: unset by default (the drain decides), else the value set, 0 included', async (t) => {
  t.equal(loadConfig({}).shutdown.drainDelayMs, undefined)
  t.equal(loadConfig({ DRAIN_DELAY_MS: '0' }).shutdown.drainDelayMs, 0)
  t.equal(loadConfig({ DRAIN_DELAY_MS: '5000' }).shutdown.drainDelayMs, 5000)
})
