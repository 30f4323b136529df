// The table of variables (src/config/variables.ts) is the one place a variable is written: each
// one lands in its group's field, read by its kind, and the defaults load into exactly the
// configuration the service ran with before the table existed.
import path from 'node:path'
import t from 'tap'
import { ENV_DEFAULTS, loadConfig } from '../../src/config/config.js'
import { GROUPS, VARIABLE_ENTRIES, VARIABLES } from '../../src/config/variables.js'

t.test('each variable has a group, a field of its own in that group, a default string and documentation', async (t) => {
  const seen = new Set<string>()
  for (const [name, variable] of VARIABLE_ENTRIES) {
    t.ok(Object.hasOwn(GROUPS, variable.group), `${name}: its group exists`)
    const where = `${variable.group}.${variable.field}`
    t.notOk(seen.has(where), `${name}: ${where} is no other variable's field`)
    seen.add(where)
    t.type(variable.default, 'string', `${name}: its default is a string, as in the environment`)
    t.ok(variable.doc.trim().length > 10, `${name}: documented`)
    t.equal(ENV_DEFAULTS[name], variable.default, `${name}: ENV_DEFAULTS is derived from the table`)
  }
  t.equal(Object.keys(ENV_DEFAULTS).length, VARIABLE_ENTRIES.length)
  for (const [group, spec] of Object.entries(GROUPS)) {
    t.ok(VARIABLE_ENTRIES.some(([, variable]) => variable.group === group), `${group} has variables`)
    if ('presentWhen' in spec) {
      t.equal(
        VARIABLES[spec.presentWhen].group,
        group,
      `${group} is present when one of its own variables is set`
      )
    }
  }
})

t.test('every variable is read into its field: a value other than its default shows there', async (t) => {
  const env = { REDIS_URL: 'redis://127.0.0.1:6379', METRICS_PORT: '9464' }
  const config = loadConfig(env) as unknown as Record<string, Record<string, unknown>>
  for (const [name, variable] of VARIABLE_ENTRIES) {
    t.ok(Object.hasOwn(config[variable.group] ?? {}, variable.field), `${name} is ${variable.group}.${variable.field}`)
  }
  t.same(
    Object.keys(config).sort(),
    [...Object.keys(GROUPS), 'productionSettings'].sort(),
    'the groups, and productionSettings'
  )
})

t.test('the defaults load into the configuration the service always had', async (t) => {
  const config = loadConfig({})
  t.same(config, {
    http: {
      host: '127.0.0.1',
      port: 8443,
      allowedOrigins: undefined,
      trustedProxies: [],
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5000
    },
    tls: {
      enabled: true,
      certFile: undefined,
      keyFile: undefined,
      certsDir: path.resolve('certs'),
      minVersion: 'TLSv1.2',
      ciphers: ENV_DEFAULTS.TLS_CIPHERS,
      groups: 'X25519:prime256v1:secp384r1'
    },
    accounts: {
      dataDir: path.resolve('data'),
      usersFile: path.resolve('data', 'users.json'),
      hashCheckTimeoutMs: 10_000
    },
    argon2: { memoryKiB: 19456, timeCost: 2, parallelism: 1 },
    session: { idleTimeoutMs: 1_800_000, absoluteTimeoutMs: 28_800_000, sweepIntervalMs: 1000, maxPerUser: 10 },
    rateLimit: { max: 300, windowMs: 60_000, crossSiteMax: 300 },
    loginRateLimit: { ipMax: 20, userMax: 5, windowMs: 60_000 },
    ws: {
      maxPayloadBytes: 4096,
      messageRate: 10,
      messageBurst: 20,
      maxInvalidMessages: 10,
      maxRateLimitedMessages: 20,
      abuseWindowMs: 60_000,
      maxBufferedBytes: 65536,
      handshakeRate: 10,
      handshakeBurst: 20,
      refusedHandshakeRate: 10,
      refusedHandshakeBurst: 20,
      maxConnectionsPerIp: 50,
      maxConnectionsPerUser: 5,
      perMessageDeflate: false,
      deflateThresholdBytes: 1024,
      heartbeatIntervalMs: 30_000,
      sessionRecheckIntervalMs: 5000,
      connectionLeaseMs: 30_000
    },
    shutdown: { timeoutMs: 10_000, drainDelayMs: undefined },
    metrics: undefined,
    log: { level: 'info' },
    redis: undefined,
    productionSettings: []
  })
})

t.test('seconds in the environment are milliseconds in the configuration; on/off are booleans', async (t) => {
  const config = loadConfig({
    RATE_LIMIT_WINDOW_S: '2',
    LOGIN_RATE_WINDOW_S: '3',
    ABUSE_WINDOW_S: '4',
    WS_CONNECTION_LEASE_S: '5',
    WS_PERMESSAGE_DEFLATE: 'on',
    TLS: 'off',
    MESSAGE_RATE: '2.5'
  })
  t.equal(config.rateLimit.windowMs, 2000)
  t.equal(config.loginRateLimit.windowMs, 3000)
  t.equal(config.ws.abuseWindowMs, 4000)
  t.equal(config.ws.connectionLeaseMs, 5000)
  t.equal(config.ws.perMessageDeflate, true)
  t.equal(config.tls.enabled, false)
  t.equal(config.ws.messageRate, 2.5, 'a rate keeps its fraction')
})

t.test('the operators\' listener and the shared store are present only when their variable is set', async (t) => {
  t.same(
    loadConfig({ METRICS_PORT: '0', METRICS_TOKEN_FILE: 'token' }).metrics,
    { port: 0, host: '127.0.0.1', tokenFile: path.resolve('token'), tls: false }
  )
  t.equal(loadConfig({ METRICS_TOKEN_FILE: 'token' }).metrics, undefined, 'a token file alone opens no listener')
  t.same(loadConfig({ REDIS_URL: '/run/redis.sock', REDIS_TIMEOUT_MS: '250' }).redis, {
    url: '/run/redis.sock',
    username: undefined,
    passwordFile: undefined,
    caFile: undefined,
    allowNoAuth: false,
    keyPrefix: 'hero-socket:',
    timeoutMs: 250
  })
  t.equal(loadConfig({ REDIS_KEY_PREFIX: 'other:' }).redis, undefined, 'a prefix alone opens no store')
  t.equal(
    loadConfig({ USERS_FILE: 'elsewhere/u.json', DATA_DIR: 'd' }).accounts.usersFile,
    path.resolve('elsewhere/u.json'),
    'USERS_FILE wins over DATA_DIR'
  )
  t.equal(
    loadConfig({ DATA_DIR: 'd' }).accounts.usersFile,
    path.resolve('d', 'users.json'),
    'else users.json in DATA_DIR'
  )
})
