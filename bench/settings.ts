// Benchmark settings, read once from BENCH_* environment variables. BENCH_QUICK=1 switches
// every default to a short run (a few seconds per server) for the tap test; any variable
// given explicitly still wins.

/**
 * The servers compared, in the order they run. hero-socket+redis is hero-socket with REDIS_URL set,
 * on a redis-server the benchmark starts for it (bench/redis-server.ts).
 */
export const SERVER_KINDS = ['ws', 'socket.io', 'hero-socket', 'hero-socket+redis'] as const
export type ServerKind = typeof SERVER_KINDS[number]

/** True for hero-socket, with or without Redis: the servers that need a real session. */
export function isHeroSocket (kind: ServerKind): boolean {
  return kind === 'hero-socket' || kind === 'hero-socket+redis'
}

export const TRANSPORTS = ['tls', 'plain'] as const
export type Transport = typeof TRANSPORTS[number]

/**
 * The workloads, in the order they run against each server (logins: hero-socket only; revocation:
 * hero-socket+redis only, with a second instance on the same Redis).
 */
export const WORKLOADS = ['idle', 'roundtrips', 'handshakes', 'logins', 'revocation'] as const
export type Workload = typeof WORKLOADS[number]

export interface BenchSettings {
  readonly quick: boolean
  readonly servers: readonly ServerKind[]
  readonly transports: readonly Transport[]
  readonly workloads: readonly Workload[]
  /** Rounds of the timed workloads (round trips, handshakes, logins); the best round is kept. */
  readonly repeat: number
  /** Extra measurements allowed per server and transport for windows disturbed by steal time. */
  readonly stealRetries: number
  /** Warm-up before each measured window, in milliseconds. */
  readonly warmupMs: number
  /** Length of each measured window, in milliseconds. */
  readonly durationMs: number
  /** Connection counts for the round-trip workload, each in its own closed loop. */
  readonly connections: readonly number[]
  /** Concurrent connect-and-close loops in the handshake workload. */
  readonly handshakeConcurrency: number
  /** Idle authenticated sockets held open to measure memory per connection. */
  readonly idleConnections: number
  /** Concurrent login loops in the login burst. */
  readonly loginConcurrency: number
  /** Paced probe connections measuring round-trip latency during the login workload. */
  readonly probeConnections: number
  /** Milliseconds between two requests of one probe connection. */
  readonly probeIntervalMs: number
  /** Sessions logged out on one instance while their sockets are open on another (revocation). */
  readonly revocationSessions: number
  /** CPU cores for the server and the load generator (taskset -c). */
  readonly serverCore: number
  readonly generatorCore: number
  /** Keep both cores out of their idle state with SCHED_IDLE busy loops (BENCH_KEEP_AWAKE=0: off). */
  readonly keepAwake: boolean
  /** Folder for CPU profiles of the servers during round trips and handshakes; undefined: none. */
  readonly cpuProfileDir: string | undefined
  /** Where to write the results as JSON (the tap test reads it); undefined: nowhere. */
  readonly jsonFile: string | undefined
  /** Echo the servers' stdout and stderr. */
  readonly verbose: boolean
}

const FULL = {
  repeat: 3,
  stealRetries: 2,
  warmupMs: 1500,
  durationMs: 4000,
  connections: [50, 500],
  handshakeConcurrency: 16,
  idleConnections: 10_000,
  loginConcurrency: 4,
  probeConnections: 10,
  probeIntervalMs: 20,
  revocationSessions: 200
}

const QUICK: typeof FULL = {
  repeat: 1,
  stealRetries: 0,
  warmupMs: 150,
  durationMs: 500,
  connections: [10, 50],
  handshakeConcurrency: 4,
  idleConnections: 200,
  loginConcurrency: 2,
  probeConnections: 4,
  probeIntervalMs: 20,
  revocationSessions: 30
}

/** Longest wait for the first login, and for one inside the measured window (ms). */
export const LOGIN_WAIT_MAX_MS = 60_000

/**
 * Most revocation sessions: with the runner's own logins they must stay within the sessions one
 * user may hold (the runner sets hero-socket's MAX_SESSIONS_PER_USER to its largest, 1000).
 */
const REVOCATION_SESSIONS_MAX = 900

/** Thrown for a BENCH_* value that cannot be used; names the variable. */
export class BenchSettingsError extends Error {
  override name = 'BenchSettingsError'
}

/**
 * Reads the settings from `env`. Variables: BENCH_QUICK, BENCH_SERVERS (comma list of
 * ws, socket.io, hero-socket, hero-socket+redis), BENCH_TRANSPORTS (tls, plain), BENCH_WORKLOADS
 * (idle, roundtrips, handshakes, logins, revocation), BENCH_REPEAT (rounds), BENCH_STEAL_RETRIES,
 * BENCH_WARMUP_MS, BENCH_DURATION_MS, BENCH_CONNECTIONS (comma list), BENCH_HANDSHAKE_CONCURRENCY,
 * BENCH_IDLE_CONNECTIONS, BENCH_LOGIN_CONCURRENCY, BENCH_PROBE_CONNECTIONS,
 * BENCH_PROBE_INTERVAL_MS, BENCH_REVOCATION_SESSIONS, BENCH_SERVER_CORE (default 0),
 * BENCH_GENERATOR_CORE (default 1),
 * BENCH_KEEP_AWAKE (default 1),
 * BENCH_CPU_PROF (a folder: profile the servers), BENCH_JSON (a file), BENCH_VERBOSE.
 */
export function readSettings (env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true'
  const base = quick ? QUICK : FULL
  const int = (name: string, fallback: number, minimum = 1, maximum = Number.MAX_SAFE_INTEGER): number => {
    const raw = env[name]
    if (raw === undefined || raw.trim() === '') return fallback
    const value = Number(raw)
    if (!Number.isInteger(value) || value < minimum || value > maximum) {
      const range = maximum === Number.MAX_SAFE_INTEGER ? `>= ${minimum}` : `from ${minimum} to ${maximum}`
      throw new BenchSettingsError(`${name} must be an integer ${range} (got ${JSON.stringify(raw)})`)
    }
    return value
  }
  const list = <T extends string> (name: string, allowed: readonly T[]): T[] => {
    const raw = env[name]
    if (raw === undefined || raw.trim() === '') return [...allowed]
    const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
    for (const item of items) {
      if (!allowed.includes(item as T)) {
        throw new BenchSettingsError(`${name} has ${JSON.stringify(item)}; allowed: ${allowed.join(', ')}`)
      }
    }
    return items as T[]
  }
  const connections = env.BENCH_CONNECTIONS === undefined || env.BENCH_CONNECTIONS.trim() === ''
    ? base.connections
    : env.BENCH_CONNECTIONS.split(',').map((s) => Number(s.trim()))
  if (connections.some((n) => !Number.isInteger(n) || n < 1)) {
    const got = JSON.stringify(env.BENCH_CONNECTIONS)
    throw new BenchSettingsError(`BENCH_CONNECTIONS must be a comma list of positive integers (got ${got})`)
  }

  return Object.freeze({
    quick,
    servers: list('BENCH_SERVERS', SERVER_KINDS),
    transports: list('BENCH_TRANSPORTS', TRANSPORTS),
    workloads: list('BENCH_WORKLOADS', WORKLOADS),
    repeat: int('BENCH_REPEAT', base.repeat),
    stealRetries: int('BENCH_STEAL_RETRIES', base.stealRetries, 0),
    warmupMs: int('BENCH_WARMUP_MS', base.warmupMs, 0),
    durationMs: int('BENCH_DURATION_MS', base.durationMs, 100),
    connections: Object.freeze(connections),
    handshakeConcurrency: int('BENCH_HANDSHAKE_CONCURRENCY', base.handshakeConcurrency),
    idleConnections: int('BENCH_IDLE_CONNECTIONS', base.idleConnections),
    loginConcurrency: int('BENCH_LOGIN_CONCURRENCY', base.loginConcurrency),
    probeConnections: int('BENCH_PROBE_CONNECTIONS', base.probeConnections),
    probeIntervalMs: int('BENCH_PROBE_INTERVAL_MS', base.probeIntervalMs),
    revocationSessions: int('BENCH_REVOCATION_SESSIONS', base.revocationSessions, 1, REVOCATION_SESSIONS_MAX),
    serverCore: int('BENCH_SERVER_CORE', 0, 0),
    generatorCore: int('BENCH_GENERATOR_CORE', 1, 0),
    keepAwake: env.BENCH_KEEP_AWAKE !== '0' && env.BENCH_KEEP_AWAKE !== 'false',
    cpuProfileDir: env.BENCH_CPU_PROF === undefined || env.BENCH_CPU_PROF === '' ? undefined : env.BENCH_CPU_PROF,
    jsonFile: env.BENCH_JSON === undefined || env.BENCH_JSON === '' ? undefined : env.BENCH_JSON,
    verbose: env.BENCH_VERBOSE === '1' || env.BENCH_VERBOSE === 'true'
  })
}
