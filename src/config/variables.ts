// The configuration variables, each written once: its group and field in Config, its kind (the
// JSON Schema and how it is read), its default as the string it would be in the environment, its
// unit and its documentation. The defaults, the ajv schema, the Config type (config.ts) and the
// table in docs/configuration.md (scripts/docs/configuration.ts) are all derived from this table.
import {
  fileIn, folder, hostName, integer, oneOf, onOff, optionalFile, optionalInteger, optionalPort, optionalText, origins,
  proxies, rate, secondsAsMs, text, type ValueKind
} from './value-kinds.js'

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

/**
 * The groups of Config, in the order the documentation lists them. A group with `presentWhen` is
 * undefined in Config unless that variable is set (the operators' listener, the shared store).
 */
export const GROUPS = {
  http: { title: 'Public listener (HTTP)' },
  tls: { title: 'TLS' },
  accounts: { title: 'Accounts' },
  argon2: { title: 'Password hashing (argon2id)' },
  session: { title: 'Sessions' },
  rateLimit: { title: 'HTTP rate limits' },
  loginRateLimit: { title: 'Login rate limits' },
  ws: { title: 'WebSocket' },
  shutdown: { title: 'Shutdown' },
  metrics: { title: 'Operators\' listener', presentWhen: 'METRICS_PORT' },
  log: { title: 'Logging' },
  redis: { title: 'Shared store (Redis)', presentWhen: 'REDIS_URL' }
} as const

export type GroupName = keyof typeof GROUPS

/** What a variable says besides its kind. */
export interface VariableInfo {
  /** The default, as the string it would be in the environment ('' for none). */
  readonly default: string
  /** The unit of the value in the environment (seconds read into a field in ms say 's'). */
  readonly unit?: string
  /** What it does: the documentation's line. */
  readonly doc: string
  /** What the documentation shows as the default when '' means one derived from elsewhere. */
  readonly shownDefault?: string
  /** Its value may hold a secret: a bad value is named, never shown. */
  readonly secret?: boolean
}

/** One configuration variable: where it lands in Config (`group`, `field`), its kind and its information. */
export interface Variable<G extends GroupName = GroupName, F extends string = string, T = unknown>
  extends ValueKind<T>, VariableInfo {
  readonly group: G
  readonly field: F
}

function variable<const G extends GroupName, const F extends string, T> (
  group: G, field: F, kind: ValueKind<T>, info: VariableInfo
): Variable<G, F, T> {
  return { group, field, ...kind, ...info }
}

const cipherList = text(
  { minLength: 1, maxLength: 4096, pattern: '^[A-Za-z0-9_:+@!.-]+$' },
  'OpenSSL cipher suite names separated by colons, like TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256'
)
const groupList = text(
  { minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9_:.-]+$' },
  'key-exchange group names separated by colons, like X25519:prime256v1'
)
const redisUrl = text(
  { maxLength: 4096, pattern: '^$|^rediss?://[^\\s]+$|^/[^\\s]*$' },
  'redis://host:port, rediss://host:port (TLS) or the absolute path of a unix socket, with no spaces'
)
const redisUser = optionalText(
  { maxLength: 128, pattern: '^$|^[A-Za-z0-9._-]+$' },
  'a user name of at most 128 letters, digits, dots, underscores and hyphens'
)
const keyPrefix = text(
  { minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9:._{}-]+$' },
  'a prefix of 1 to 64 letters, digits and the characters : . _ { } -'
)

/** Every variable the service reads, by group. Only these are read; an empty value means the default. */
export const VARIABLES = {
  HOST: variable('http', 'host', hostName, {
    default: '127.0.0.1',
    doc: 'address to listen on. A non-loopback host needs `TLS_CERT`/`TLS_KEY` (the development certificate is ' +
      'refused).'
  }),
  PORT: variable('http', 'port', integer(0, 65535), {
    default: '8443',
    doc: 'port to listen on (0 picks a free one).'
  }),
  ALLOWED_ORIGINS: variable('http', 'allowedOrigins', origins, {
    default: '',
    shownDefault: 'https://localhost:<PORT>,https://127.0.0.1:<PORT>',
    doc: 'comma-separated exact origins (`scheme://host[:port]`) allowed to open the socket and to post the ' +
      'login and logout forms. Compared as whole strings: no prefixes, suffixes or wildcards. Set it to ' +
      'your public origin in production.'
  }),
  TRUSTED_PROXIES: variable('http', 'trustedProxies', proxies, {
    default: '',
    doc: 'comma-separated addresses and CIDRs of the proxies in front of the server (e.g. `127.0.0.1` for nginx ' +
      'on the host, `10.0.0.0/8`). Only a request whose peer is one of them has its `X-Forwarded-For` read: ' +
      'from the right, skipping trusted proxies and anything that is not an IP address. Otherwise the peer ' +
      'is the client. (`TRUST_PROXY_HOPS`, which trusted any peer, is gone: setting it stops start-up.)'
  }),
  HTTP_HEADERS_TIMEOUT_MS: variable('http', 'headersTimeoutMs', integer(100, 600_000), {
    default: '10000',
    unit: 'ms',
    doc: 'a client must send all its request headers within this time, or the connection is cut (checked every ' +
      'second): a slowloris client holds a socket for seconds, not minutes. Browsers send headers in one ' +
      'packet. At most `HTTP_REQUEST_TIMEOUT_MS`.'
  }),
  HTTP_REQUEST_TIMEOUT_MS: variable('http', 'requestTimeoutMs', integer(100, 3_600_000), {
    default: '30000',
    unit: 'ms',
    doc: 'a whole request (headers and body) must arrive within this time. Our bodies are at most 16 KiB.'
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: variable('http', 'keepAliveTimeoutMs', integer(100, 600_000), {
    default: '5000',
    unit: 'ms',
    doc: 'an idle keep-alive connection is closed after this time. Longer than a page\'s burst of requests, ' +
      'short enough that idle connections do not pile up; a proxy in front should use a shorter upstream ' +
      'keep-alive (deploy/ uses 4 s).'
  }),

  TLS: variable('tls', 'enabled', onOff, {
    default: 'on',
    doc: '`off` serves plain HTTP, only for running behind a TLS-terminating proxy; the server says so loudly ' +
      'at start-up. The cookie stays `Secure`, so the browser must still see https.'
  }),
  TLS_CERT: variable('tls', 'certFile', optionalFile, {
    default: '',
    doc: 'PEM certificate file, set with `TLS_KEY` (both or neither). Without them: the development certificate in ' +
      '`CERTS_DIR`.'
  }),
  TLS_KEY: variable('tls', 'keyFile', optionalFile, {
    default: '',
    doc: 'PEM key file of `TLS_CERT`. A key file others can read is warned about at start-up (`secret_file_exposed`).'
  }),
  CERTS_DIR: variable('tls', 'certsDir', folder, {
    default: 'certs',
    doc: 'where the development certificate is generated on first start (`dev-cert.pem`, `dev-key.pem` mode ' +
      '0600; git-ignored).'
  }),
  TLS_MIN_VERSION: variable('tls', 'minVersion', oneOf(['TLSv1.2', 'TLSv1.3']), {
    default: 'TLSv1.2',
    doc: '`TLSv1.2` (TLS 1.2 with forward-secret AEAD suites only, and TLS 1.3) or `TLSv1.3` (TLS 1.3 only).'
  }),
  TLS_CIPHERS: variable('tls', 'ciphers', cipherList, {
    default: DEFAULT_TLS_CIPHERS,
    doc: 'the OpenSSL suites offered (TLS 1.3 ones, then TLS 1.2 ones): Mozilla\'s "intermediate" profile ' +
      'without DHE: forward-secret AEAD only. A list this process\'s OpenSSL matches nothing of stops ' +
      'start-up. Keep to forward-secret AEAD suites.'
  }),
  TLS_GROUPS: variable('tls', 'groups', groupList, {
    default: DEFAULT_TLS_GROUPS,
    doc: 'the key-exchange groups, preferred first. A list this process\'s OpenSSL does not accept stops ' +
      'start-up, naming `TLS_GROUPS` (OpenSSL does not say which group). A post-quantum hybrid needs no ' +
      'code change where OpenSSL knows it: `X25519MLKEM768:X25519:prime256v1:secp384r1` with OpenSSL 3.5 or ' +
      'later (Node 20 on Debian 12 links OpenSSL 3.0, which does not; Node 24 bundles 3.5).'
  }),

  DATA_DIR: variable('accounts', 'dataDir', folder, {
    default: 'data',
    doc: 'data folder (git-ignored).'
  }),
  USERS_FILE: variable('accounts', 'usersFile', fileIn('DATA_DIR', 'users.json'), {
    default: '',
    shownDefault: '<DATA_DIR>/users.json',
    doc: 'the accounts file: usernames and argon2id hashes, mode 0600, written atomically. Watched: changes ' +
      'apply within a second. A missing file gets a `demo` account only with the development defaults (no ' +
      '`USERS_FILE`, `REDIS_URL`, `TRUSTED_PROXIES`, `TLS_CERT` or `ALLOWED_ORIGINS`, `TLS=on`, a loopback ' +
      '`HOST`); any other set-up stops at start-up with an error naming `USERS_FILE`: create the accounts ' +
      'first (`USERS_FILE=… npm run users -- add <name>`).'
  }),
  HASH_CHECK_TIMEOUT_MS: variable('accounts', 'hashCheckTimeoutMs', integer(1000, 600_000), {
    default: '10000',
    unit: 'ms',
    doc: 'longest one password check may run in the hashing process (from when it is handed over) before the ' +
      'process is taken as stuck, killed and replaced, and the check run again once. A check takes tens of ' +
      'ms at the default costs: raise it with much higher `ARGON2_*` costs.'
  }),

  ARGON2_MEMORY_KIB: variable('argon2', 'memoryKiB', integer(ARGON2_MIN.memoryKiB, 4 * 1024 * 1024), {
    default: String(ARGON2_MIN.memoryKiB),
    unit: 'KiB',
    doc: 'argon2id memory cost in KiB (minimum 19456, the OWASP minimum).'
  }),
  ARGON2_TIME_COST: variable('argon2', 'timeCost', integer(ARGON2_MIN.timeCost, 100), {
    default: String(ARGON2_MIN.timeCost),
    unit: 'iterations',
    doc: 'argon2id iterations (minimum 2).'
  }),
  ARGON2_PARALLELISM: variable('argon2', 'parallelism', integer(ARGON2_MIN.parallelism, 64), {
    default: String(ARGON2_MIN.parallelism),
    unit: 'lanes',
    doc: 'argon2id lanes (minimum 1).'
  }),

  SESSION_IDLE_TIMEOUT_S: variable('session', 'idleTimeoutMs', secondsAsMs(1, 3600), {
    default: '1800',
    unit: 's',
    doc: 'a session ends after this many seconds without use (a page load or socket traffic); at most 3600 ' +
      '(NIST SP 800-63B-4 AAL2: see docs/sessions.md).'
  }),
  SESSION_ABSOLUTE_TIMEOUT_S: variable('session', 'absoluteTimeoutMs', secondsAsMs(1, 86400), {
    default: '28800',
    unit: 's',
    doc: 'a session ends this many seconds after login, used or not (at least the idle timeout, at most 86400).'
  }),
  SESSION_SWEEP_INTERVAL_MS: variable('session', 'sweepIntervalMs', integer(10, 3_600_000), {
    default: '1000',
    unit: 'ms',
    doc: 'how often expired sessions are ended (and their sockets closed) when nobody touches them.'
  }),
  MAX_SESSIONS_PER_USER: variable('session', 'maxPerUser', integer(1, 1000), {
    default: '10',
    unit: 'sessions',
    doc: 'live sessions one user may hold; a login beyond it ends the user\'s oldest session (its sockets close ' +
      'with 4401).'
  }),

  RATE_LIMIT_MAX: variable('rateLimit', 'max', integer(1), {
    default: '300',
    unit: 'requests per window',
    doc: 'HTTP requests per IP per window, on every route. Requests refused as cross-site, navigations from ' +
      'other sites and malformed requests (what Node or the router cannot parse) spend ' +
      '`RATE_LIMIT_CROSS_SITE_MAX` instead; the health probes are counted per client at this rate in the ' +
      'process, not in Redis.'
  }),
  RATE_LIMIT_WINDOW_S: variable('rateLimit', 'windowMs', secondsAsMs(1), {
    default: '60',
    unit: 's',
    doc: 'window of `RATE_LIMIT_MAX`.'
  }),
  RATE_LIMIT_CROSS_SITE_MAX: variable('rateLimit', 'crossSiteMax', integer(1), {
    default: '300',
    unit: 'requests per window',
    doc: 'requests refused as cross-site, navigations from other sites (links, answered as usual) and requests ' +
      'that cannot be read (`/%`, headers past 16 KiB, a bad header), per IP per `RATE_LIMIT_WINDOW_S`: a ' +
      'budget of their own, so a page on another site cannot spend its visitor\'s requests or login ' +
      'attempts. Past it they get 429 `cross_site_requests_limited` (logged at debug only). Shared in Redis ' +
      'with `REDIS_URL`, like the other HTTP limits.'
  }),

  LOGIN_RATE_IP_MAX: variable('loginRateLimit', 'ipMax', integer(1), {
    default: '20',
    unit: 'attempts per window',
    doc: 'login attempts per IP per login window.'
  }),
  LOGIN_RATE_USER_MAX: variable('loginRateLimit', 'userMax', integer(1), {
    default: '5',
    unit: 'attempts per window',
    doc: 'failed logins per username *and* IP per login window (successes are not counted): slows down ' +
      'guessing one password without letting someone elsewhere lock the real user out.'
  }),
  LOGIN_RATE_WINDOW_S: variable('loginRateLimit', 'windowMs', secondsAsMs(1), {
    default: '60',
    unit: 's',
    doc: 'window of the two login limits.'
  }),

  MAX_PAYLOAD: variable('ws', 'maxPayloadBytes', integer(64, 16 * 1024 * 1024), {
    default: '4096',
    unit: 'bytes',
    doc: 'largest WebSocket message in bytes (after inflation); larger closes with 1009.'
  }),
  MESSAGE_RATE: variable('ws', 'messageRate', rate, {
    default: '10',
    unit: 'messages per second',
    doc: 'messages per second refilled into each connection\'s token bucket.'
  }),
  MESSAGE_BURST: variable('ws', 'messageBurst', integer(1, 1_000_000), {
    default: '20',
    unit: 'messages',
    doc: 'size of that bucket (messages at once). Both are told to the client in `user_authorized` `limits`, ' +
      'and the page keeps within them.'
  }),
  MAX_INVALID_MESSAGES: variable('ws', 'maxInvalidMessages', integer(1), {
    default: '10',
    unit: 'messages per window',
    doc: 'invalid messages tolerated per connection within `ABUSE_WINDOW_S` (the count refills continuously, ' +
      'good messages in between or not); more closes with 1008.'
  }),
  MAX_RATE_LIMITED_MESSAGES: variable('ws', 'maxRateLimitedMessages', integer(1), {
    default: '20',
    unit: 'messages per window',
    doc: 'messages that arrive while a `retryAfterMs` the server told is still running, pings past the rate ' +
      'limit and unrequested pongs, tolerated per connection within `ABUSE_WINDOW_S`; more closes with ' +
      '1008. A client that waits each `retryAfterMs` is never closed.'
  }),
  ABUSE_WINDOW_S: variable('ws', 'abuseWindowMs', secondsAsMs(1, 86_400), {
    default: '60',
    unit: 's',
    doc: 'the window of the two counts above: each refills at its maximum per window, so a long-lived client ' +
      'with a mistake now and then never meets 1008, while one that mixes good messages with floods does.'
  }),
  MAX_BUFFERED_BYTES: variable('ws', 'maxBufferedBytes', integer(1024, 64 * 1024 * 1024), {
    default: '65536',
    unit: 'bytes',
    doc: 'a socket with more unsent replies than this (a client that stopped reading) is dropped and its memory ' +
      'released. A client within its message budget sends back a few KB at most.'
  }),
  WS_HANDSHAKE_RATE: variable('ws', 'handshakeRate', rate, {
    default: '10',
    unit: 'handshakes per second',
    doc: 'WebSocket handshakes per second per IP (token bucket).'
  }),
  WS_HANDSHAKE_BURST: variable('ws', 'handshakeBurst', integer(1, 1_000_000), {
    default: '20',
    unit: 'handshakes',
    doc: 'handshakes one IP may make at once. A handshake that reaches this check (its Origin is allowed) ' +
      'spends one; it is given back when the handshake is then refused for a reason that spends the refusal ' +
      'budget instead (its cookie or session).'
  }),
  WS_REFUSED_HANDSHAKE_RATE: variable('ws', 'refusedHandshakeRate', rate, {
    default: '10',
    unit: 'handshakes per second',
    doc: 'refused handshakes (wrong origin, path, cookie, session…) per second per IP: a budget of their own, ' +
      'so a page on another origin opening our socket in a loop cannot use up its visitor\'s handshakes. ' +
      'Past it refusals get 429 `handshake_refusals_limited`.'
  }),
  WS_REFUSED_HANDSHAKE_BURST: variable('ws', 'refusedHandshakeBurst', integer(1, 1_000_000), {
    default: '20',
    unit: 'handshakes',
    doc: 'refused handshakes one IP may have at once.'
  }),
  WS_MAX_CONNECTIONS_PER_IP: variable('ws', 'maxConnectionsPerIp', integer(1), {
    default: '50',
    unit: 'sockets',
    doc: 'open (and opening) sockets per IP.'
  }),
  WS_MAX_CONNECTIONS_PER_USER: variable('ws', 'maxConnectionsPerUser', integer(1), {
    default: '5',
    unit: 'sockets',
    doc: 'open sockets per user.'
  }),
  WS_PERMESSAGE_DEFLATE: variable('ws', 'perMessageDeflate', onOff, {
    default: 'off',
    doc: '`on` enables permessage-deflate (no context takeover; inflated size bounded by `MAX_PAYLOAD`).'
  }),
  WS_DEFLATE_THRESHOLD: variable('ws', 'deflateThresholdBytes', integer(0), {
    default: '1024',
    unit: 'bytes',
    doc: 'with deflate on, messages smaller than this many bytes are not compressed.'
  }),
  HEARTBEAT_INTERVAL_MS: variable('ws', 'heartbeatIntervalMs', integer(100, 3_600_000), {
    default: '30000',
    unit: 'ms',
    doc: 'the server pings every socket this often, with a fresh random payload; a peer that has not echoed the ' +
      'previous ping\'s payload in a pong is dropped (other pongs prove nothing).'
  }),
  SESSION_RECHECK_INTERVAL_MS: variable('ws', 'sessionRecheckIntervalMs', integer(100, 3_600_000), {
    default: '5000',
    unit: 'ms',
    doc: 'how often each instance asks the store whether its open sockets\' sessions are still live (the safety ' +
      'net under revocation); also at once after every reconnect to Redis.'
  }),
  WS_CONNECTION_LEASE_S: variable('ws', 'connectionLeaseMs', secondsAsMs(1, 3600), {
    default: '30',
    unit: 's',
    doc: 'with Redis, how long a socket counts towards its user\'s `WS_MAX_CONNECTIONS_PER_USER` without its ' +
      'instance renewing the lease (renewed every third of it): a crashed instance\'s sockets stop counting ' +
      'within this time.'
  }),

  SHUTDOWN_TIMEOUT_MS: variable('shutdown', 'timeoutMs', integer(100, 600_000), {
    default: '10000',
    unit: 'ms',
    doc: 'on SIGTERM/SIGINT the process exits within this time: after `DRAIN_DELAY_MS`, the 1001 closes are ' +
      'spread over half of what is left (see Operating it, The drain).'
  }),
  DRAIN_DELAY_MS: variable('shutdown', 'drainDelayMs', optionalInteger(0, 600_000), {
    default: '',
    shownDefault: '3000 if /readyz was asked in the last 10 minutes, else 0',
    unit: 'ms',
    doc: 'on SIGTERM/SIGINT, how long `/readyz` answers 503 while new sockets are still accepted, so the load ' +
      'balancer stops sending clients before they would be refused. Unset, the delay is only for a balancer ' +
      'that watches readiness: a stop from a terminal, with no one asking `/readyz`, does not wait. Set it ' +
      'for a balancer that does not ask `/readyz` (a Kubernetes Service without a readiness probe). Less ' +
      'than `SHUTDOWN_TIMEOUT_MS`. See "Operating it".'
  }),

  METRICS_PORT: variable('metrics', 'port', optionalPort, {
    default: '',
    doc: 'port of the operators\' listener (Prometheus `/metrics`, `/livez`, `/readyz`); unset: no such ' +
      'listener. 0 picks a free one.'
  }),
  METRICS_HOST: variable('metrics', 'host', hostName, {
    default: '127.0.0.1',
    doc: 'address of the operators\' listener. Loopback by default: the metrics never share the public port. Any ' +
      'other address needs `METRICS_TLS=on`, else start-up stops naming `METRICS_HOST`: the bearer token ' +
      'and the metrics never cross a network in plain HTTP.'
  }),
  METRICS_TOKEN_FILE: variable('metrics', 'tokenFile', optionalFile, {
    default: '',
    doc: 'a file holding a bearer token (at least 16 characters) that scrapes of `/metrics` must send ' +
      '(`Authorization: Bearer …`), compared in constant time. Read at start-up: a missing file or a short ' +
      'token stops it; a file others can read is warned about (`secret_file_exposed`).'
  }),
  METRICS_TLS: variable('metrics', 'tls', onOff, {
    default: 'off',
    doc: '`on` serves the operators\' listener over HTTPS with `TLS_CERT`/`TLS_KEY` (required) and the public ' +
      'listener\'s TLS policy (`TLS_MIN_VERSION`, `TLS_CIPHERS`, `TLS_GROUPS`), even with `TLS=off`; plain ' +
      'HTTP is then not answered. Needed for a `METRICS_HOST` other than loopback (point Prometheus at ' +
      '`https://…` with `scheme: https`).'
  }),

  LOG_LEVEL: variable('log', 'level', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), {
    default: 'info',
    doc: 'pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.'
  }),

  REDIS_URL: variable('redis', 'url', redisUrl, {
    default: '',
    doc: 'the shared store for several instances: `redis://host:port[/db]`, `rediss://host:port[/db]` (TLS), or ' +
      'the path of a unix socket. Where it is, nothing else: a user or password in it, or options after ' +
      '`?`, stop start-up (the password goes in `REDIS_PASSWORD_FILE`). A host other than loopback needs ' +
      '`REDIS_PASSWORD_FILE` (or `REDIS_ALLOW_NO_AUTH=on`). Unset: sessions, the per-user socket cap and ' +
      'the rate limits live in this process (one instance). See "Running several instances". Never logged; ' +
      'a bad value is named, not shown.',
    secret: true
  }),
  REDIS_USERNAME: variable('redis', 'username', redisUser, {
    default: '',
    doc: 'the Redis ACL user the service logs in as (`hero-socket` in `deploy/redis/redis.conf`, which lists ' +
      'the commands it may run); needs `REDIS_PASSWORD_FILE`. Unset: Redis\'s `default` user.'
  }),
  REDIS_PASSWORD_FILE: variable('redis', 'passwordFile', optionalFile, {
    default: '',
    doc: 'a file holding the Redis password (trimmed), read at start-up: a missing or empty file stops it; a ' +
      'file others can read is warned about. Required when `REDIS_URL` points at a host other than ' +
      'loopback.'
  }),
  REDIS_CA_FILE: variable('redis', 'caFile', optionalFile, {
    default: '',
    doc: 'with `rediss://`, the PEM file of the CA that signed Redis\'s certificate (a private CA); unset: the ' +
      'system\'s CAs. The certificate and host name are always checked (`NODE_TLS_REJECT_UNAUTHORIZED` does ' +
      'not turn that off). Only with `rediss://`.'
  }),
  REDIS_ALLOW_NO_AUTH: variable('redis', 'allowNoAuth', onOff, {
    default: 'off',
    doc: '`on` lets `REDIS_URL` point at a host other than loopback without a password: only for a Redis that ' +
      'nothing but the instances can reach (a private network of their own).'
  }),
  REDIS_KEY_PREFIX: variable('redis', 'keyPrefix', keyPrefix, {
    default: 'hero-socket:',
    doc: 'prefix of every key and channel, so several deployments can share one Redis.'
  }),
  REDIS_TIMEOUT_MS: variable('redis', 'timeoutMs', integer(10, 60_000), {
    default: '1000',
    unit: 'ms',
    doc: 'longest wait for any one Redis command (and for connecting): past it a login or handshake gets 503 ' +
      '`store_unavailable`.'
  })
}

/** Every variable's name. */
export type EnvName = keyof typeof VARIABLES

/** Variables no longer read, with what replaced them: setting one stops start-up. */
export const RETIRED_VARIABLES: ReadonlyMap<string, string> = new Map([
  ['TRUST_PROXY_HOPS', 'TRUSTED_PROXIES (the addresses and CIDRs of your proxies, e.g. TRUSTED_PROXIES=127.0.0.1)']
])

/** The variables, as [name, variable] pairs in the table's order. */
export const VARIABLE_ENTRIES = Object.entries(VARIABLES) as ReadonlyArray<[EnvName, Variable]>
