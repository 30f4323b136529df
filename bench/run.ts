// `npm run bench`: runs bare ws, Socket.IO, hero-socket and hero-socket on Redis in turn, over TLS
// and plain, each pinned to one core with the load generator on another, and prints one table with
// ratios to the bare ws server, then hero-socket's targets as pass/fail. Settings: bench/settings.ts.
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { ARGON2_MIN } from '../src/config/config.js'
import { PasswordHasher } from '../src/accounts/password-hasher.js'
import { generateDevelopmentCertificate } from '../src/config/tls-credentials.js'
import { FileUsersStore } from '../src/accounts/file-users-store.js'
import { BENCH_LIMITS } from './heroes.js'
import { login } from './http-login.js'
import type {
  GeneratorReply, IdleResult, ListeningMessage, LoginsResult, LoopDelayMessage, MemoryMessage, ProfileMessage,
  RevocationResult, Target, Task, TaskResult, Window, WindowMark
} from './messages.js'
import { BenchProcess, canPin, childFileLimit, keepCoresAwake } from './processes.js'
import { BenchRedis } from './redis-server.js'
import {
  checkTargets, cpuPerOperationUs, DISTURBED_STEAL_PERCENT, formatTable, formatTargets, ms, perSecond, type ServerRun,
  type TargetCheck
} from './report.js'
import {
  BenchSettingsError, isHeroSocket, LOGIN_WAIT_MAX_MS, readSettings, type BenchSettings, type ServerKind, type Transport
} from './settings.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const SERVER_SCRIPTS: Record<ServerKind, string> = {
  ws: path.join(HERE, 'servers', 'bare-ws-server.js'),
  'socket.io': path.join(HERE, 'servers', 'socket-io-server.js'),
  'hero-socket': path.join(HERE, 'servers', 'hero-socket-server.js'),
  'hero-socket+redis': path.join(HERE, 'servers', 'hero-socket-server.js')
}
const GENERATOR_SCRIPT = path.join(HERE, 'load-generator.js')
/**
 * Every per-IP, per-user and per-socket limit of hero-socket, raised so it never refuses the load;
 * the message budget the comparison servers announce is the same (BENCH_LIMITS).
 */
const HIGH_LIMIT = String(BENCH_LIMITS.messageBurst)
/**
 * Live sessions the bench user may hold (hero-socket's largest MAX_SESSIONS_PER_USER): the
 * revocation sessions and the runner's own logins must all stay live (settings.ts bounds them).
 */
const SESSIONS_PER_USER = '1000'
const BENCH_USER = 'bench'
/** File descriptors a process needs beyond its sockets (modules, pipes, the event loop). */
const SPARE_FILE_DESCRIPTORS = 200

interface Workspace { dir: string, certFile: string, keyFile: string, usersFile: string, password: string }

/** Temporary certificate and users file shared by every server of the run. */
async function prepareWorkspace (): Promise<Workspace> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hero-socket-bench-'))
  const { cert, key } = await generateDevelopmentCertificate()
  const certFile = path.join(dir, 'cert.pem')
  const keyFile = path.join(dir, 'key.pem')
  await fsp.writeFile(certFile, cert, { mode: 0o644 })
  await fsp.writeFile(keyFile, key, { mode: 0o600 })
  const password = randomBytes(18).toString('base64url')
  const usersFile = path.join(dir, 'users.json')
  const hash = await new PasswordHasher(ARGON2_MIN).hash(password)
  await FileUsersStore.create(usersFile, [{ username: BENCH_USER, hash }])
  return { dir, certFile, keyFile, usersFile, password }
}

/**
 * What a server inherits: PATH and HOME only, so a variable exported in the operator's shell
 * (TRUSTED_PROXIES, METRICS_PORT, a retired TRUST_PROXY_HOPS, ...) cannot change what is measured.
 */
function inheritedEnv (): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }
}

/** The environment of a server; `redisUrl` for hero-socket+redis. */
function serverEnv (
  kind: ServerKind, transport: Transport, ws: Workspace, redisUrl: string | undefined
): NodeJS.ProcessEnv {
  const tls = transport === 'tls'
  if (!isHeroSocket(kind)) {
    return {
      ...inheritedEnv(), BENCH_TLS: tls ? 'on' : 'off', BENCH_CERT_FILE: ws.certFile, BENCH_KEY_FILE: ws.keyFile
    }
  }
  return {
    ...inheritedEnv(),
    HOST: '127.0.0.1',
    PORT: '0',
    TLS: tls ? 'on' : 'off',
    TLS_CERT: tls ? ws.certFile : '',
    TLS_KEY: tls ? ws.keyFile : '',
    ALLOWED_ORIGINS: '',
    CERTS_DIR: ws.dir,
    DATA_DIR: ws.dir,
    USERS_FILE: ws.usersFile,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: HIGH_LIMIT,
    LOGIN_RATE_IP_MAX: HIGH_LIMIT,
    LOGIN_RATE_USER_MAX: HIGH_LIMIT,
    MESSAGE_RATE: HIGH_LIMIT,
    MESSAGE_BURST: HIGH_LIMIT,
    WS_HANDSHAKE_RATE: HIGH_LIMIT,
    WS_HANDSHAKE_BURST: HIGH_LIMIT,
    WS_MAX_CONNECTIONS_PER_IP: HIGH_LIMIT,
    WS_MAX_CONNECTIONS_PER_USER: HIGH_LIMIT,
    MAX_SESSIONS_PER_USER: SESSIONS_PER_USER,
    REDIS_URL: redisUrl ?? ''
  }
}

/** Gives the load generator one task at a time and waits for its result. */
class GeneratorClient {
  readonly #process: BenchProcess
  #seq = 0

  constructor (process: BenchProcess) {
    this.#process = process
  }

  async run<T extends TaskResult> (target: Target, task: Task, timeoutMs: number): Promise<T> {
    const seq = ++this.#seq
    this.#process.send({ type: 'run', seq, target, task })
    const ours = (m: unknown): GeneratorReply | undefined =>
      (m as GeneratorReply).seq === seq ? m as GeneratorReply : undefined
    const reply = await this.#process.waitFor(ours, timeoutMs, `the ${task.kind} result`)
    if (reply.type === 'failed') throw new Error(`${task.kind}: ${reply.message}`)
    return reply.result as T
  }

  /** Calls `listener` with each window mark the generator sends; returns the unsubscriber. */
  onMark (listener: (mark: WindowMark) => void): () => void {
    const onMessage = (m: unknown): void => { if ((m as WindowMark).type === 'mark') listener(m as WindowMark) }
    this.#process.child.on('message', onMessage)
    return () => { this.#process.child.off('message', onMessage) }
  }
}

/** The logins task, with the server's own event-loop delay measured over each probe window. */
async function loginsWithLoopDelay (
  gen: GeneratorClient, server: BenchProcess, target: Target, task: Task, timeoutMs: number
): Promise<LoginsResult> {
  const delays = new Map<WindowMark['window'], Promise<LoopDelayMessage>>()
  const off = gen.onMark((mark) => {
    if (mark.edge === 'start') return server.send({ type: 'loop-delay-start' })
    server.send({ type: 'loop-delay-stop' })
    const delayMessage = (m: unknown): LoopDelayMessage | undefined =>
      (m as LoopDelayMessage).type === 'loop-delay' ? m as LoopDelayMessage : undefined
    const delay = server.waitFor(delayMessage, 30_000, 'event-loop delay')
    delay.catch(() => {}) // awaited below; a server that died fails the task anyway
    delays.set(mark.window, delay)
  })
  try {
    const result = await gen.run<LoginsResult>(target, task, timeoutMs)
    const quiet = await delays.get('quiet')
    const duringLogins = await delays.get('during')
    if (quiet === undefined || duringLogins === undefined) return result
    return { ...result, loopDelay: { quiet, duringLogins } }
  } finally {
    off()
  }
}

async function serverMemory (server: BenchProcess): Promise<MemoryMessage> {
  server.send({ type: 'memory' })
  const memory = (m: unknown): MemoryMessage | undefined =>
    (m as MemoryMessage).type === 'memory' ? m as MemoryMessage : undefined
  return await server.waitFor(memory, 30_000, 'memory report')
}

function progress (text: string): void {
  process.stderr.write(`bench: ${text}\n`)
}

/** Above this share of steal time a window is measured again (while the retry budget lasts). */
const STEAL_LIMIT_PERCENT = DISTURBED_STEAL_PERCENT
/** Retries left for each server and transport (`server transport` → count). */
const retriesLeft = new Map<string, number>()
let retriesUsed = 0

/**
 * Measures once, and again while the hypervisor took more than STEAL_LIMIT_PERCENT of the
 * machine during the measurement (at most twice per workload, within the retry budget of this
 * server and transport).
 * @returns every attempt
 */
async function steadily<T> (
  settings: BenchSettings, budget: string, label: string, stealOf: (result: T) => number, measure: () => Promise<T>
): Promise<T[]> {
  const results = [await measure()]
  for (let extra = 0; extra < 2 && (retriesLeft.get(budget) ?? settings.stealRetries) > 0; extra++) {
    const steal = stealOf(results[results.length - 1] as T)
    if (steal <= STEAL_LIMIT_PERCENT) break
    retriesLeft.set(budget, (retriesLeft.get(budget) ?? settings.stealRetries) - 1)
    retriesUsed++
    progress(`${label}: ${steal.toFixed(0)}% steal, measuring again`)
    results.push(await measure())
  }
  return results
}

/**
 * The best of several measurements by `score`. Interference (steal, other processes) only ever
 * makes a window slower, so the best window is the closest to the undisturbed server.
 */
function best<T> (results: readonly T[], score: (result: T) => number): T {
  return results.reduce((a, b) => score(b) > score(a) ? b : a)
}

/** Runs `workload`, recording the server's CPU profile meanwhile when BENCH_CPU_PROF is set. */
async function profiled<T> (
  server: BenchProcess, settings: BenchSettings, name: string, workload: () => Promise<T>
): Promise<T> {
  if (settings.cpuProfileDir === undefined) return await workload()
  const state = (m: unknown): string | undefined =>
    (m as ProfileMessage).type === 'profile' ? (m as ProfileMessage).state : undefined
  server.send({ type: 'profile-start' })
  await server.waitFor(state, 10_000, 'profiler start')
  const result = await workload()
  const file = path.resolve(settings.cpuProfileDir, `${name}.cpuprofile`)
  server.send({ type: 'profile-stop', file })
  await server.waitFor(state, 60_000, 'CPU profile')
  progress(`CPU profile: ${file}`)
  return result
}

/**
 * Idle sockets, on a fresh server: RSS growth (after full GCs) per open socket, and redis-server's
 * memory growth per socket.
 */
async function measureIdle (
  run: ServerRun, gen: GeneratorClient, server: BenchProcess, target: Target, settings: BenchSettings,
  redis: BenchRedis | undefined
): Promise<void> {
  const openTimeoutMs = 120_000 + settings.idleConnections * 20
  // Open and close a few first, so code loaded and compiled once is not counted per socket.
  const warm = Math.min(200, Math.ceil(settings.idleConnections / 4))
  await gen.run<IdleResult>(target, { kind: 'open-idle', count: warm, concurrency: 64 }, openTimeoutMs)
  await gen.run(target, { kind: 'close-idle' }, 60_000)
  await sleep(300)
  const before = await serverMemory(server)
  const redisBefore = await redis?.usedMemory()
  const openAll: Task = { kind: 'open-idle', count: settings.idleConnections, concurrency: 64 }
  const opened = await gen.run<IdleResult>(target, openAll, openTimeoutMs)
  await sleep(settings.quick ? 200 : 1000)
  const after = await serverMemory(server)
  const redisAfter = await redis?.usedMemory()
  await gen.run(target, { kind: 'close-idle' }, 120_000)
  run.idle = {
    connections: opened.opened,
    errors: opened.errors,
    openSeconds: opened.seconds,
    rssPerConnection: (after.rss - before.rss) / opened.opened,
    heapPerConnection: (after.heapUsed - before.heapUsed) / opened.opened,
    ...(redisBefore === undefined || redisAfter === undefined
      ? {}
      : { redisBytesPerConnection: (redisAfter - redisBefore) / opened.opened })
  }
  const kib = (bytes: number): string => (bytes / 1024).toFixed(1)
  const took = opened.seconds.toFixed(1)
  progress(`${run.server} ${run.transport}: ${opened.opened} idle sockets (opened in ${took} s), ` +
    `${kib(run.idle.rssPerConnection)} KiB RSS each (${kib(run.idle.heapPerConnection)} KiB of V8 heap)`)
}

/** One server's turn on one transport: what each workload's measurement reads. */
interface Turn {
  readonly run: ServerRun
  readonly settings: BenchSettings
  readonly workspace: Workspace
  readonly pinned: boolean
  /** For progress lines: server, transport and round. */
  readonly label: string
  /** The steal-retry budget's key: server and transport. */
  readonly budget: string
  /** One measurement window with its warm-up, ms. */
  readonly windowMs: number
  readonly gen: GeneratorClient
  readonly server: BenchProcess
  readonly target: Target
}

/** Round trips over `connections` sockets; keeps the best window of this and earlier rounds. */
async function measureRoundTrips (turn: Turn, connections: number): Promise<void> {
  const { run, settings, label, gen, server, target } = turn
  const task: Task = { kind: 'roundtrips', connections, warmupMs: settings.warmupMs, durationMs: settings.durationMs }
  const name = `${run.server}-${run.transport}-roundtrips-${connections}`
  const windows = await steadily(settings, turn.budget, `${label} C=${connections}`, (w) => w.stealPercent,
    () => profiled(server, settings, name, () => gen.run<Window>(target, task, turn.windowMs + 120_000)))
  const earlier = run.roundTrips.find((x) => x.connections === connections)
  const rounds = [...(earlier?.rounds ?? []), ...windows]
  const window = best(rounds, perSecond)
  if (earlier === undefined) run.roundTrips.push({ connections, window, rounds })
  else Object.assign(earlier, { window, rounds })
  for (const w of windows) {
    progress(`${label}: C=${connections} ${Math.round(perSecond(w))} msg/s, p99 ${ms(w.latency.p99Ms)} ms, ` +
      `${cpuPerOperationUs(w).toFixed(1)} µs CPU/rt${redisProgress(w)}, steal ${w.stealPercent.toFixed(0)}%`)
  }
}

/** Handshake cycles; keeps the best window of this and earlier rounds. */
async function measureHandshakes (turn: Turn): Promise<void> {
  const { run, settings, label, gen, server, target } = turn
  const concurrency = settings.handshakeConcurrency
  const task: Task = { kind: 'handshakes', concurrency, warmupMs: settings.warmupMs, durationMs: settings.durationMs }
  const windows = await steadily(settings, turn.budget, `${label} handshakes`, (w) => w.stealPercent,
    () => profiled(server, settings, `${run.server}-${run.transport}-handshakes`,
      () => gen.run<Window>(target, task, turn.windowMs + 60_000)))
  const rounds = [...(run.handshakes?.rounds ?? []), ...windows]
  run.handshakes = { concurrency, window: best(rounds, perSecond), rounds }
  for (const w of windows) {
    progress(`${label}: ${Math.round(perSecond(w))} handshakes/s, p99 ${ms(w.latency.p99Ms)} ms, ` +
      `${cpuPerOperationUs(w).toFixed(1)} µs CPU/hs${redisProgress(w)}, steal ${w.stealPercent.toFixed(0)}%`)
  }
}

/** A logins round's steal: the worse of its two probe windows. */
const loginsSteal = (r: LoginsResult): number => Math.max(r.quiet.stealPercent, r.duringLogins.stealPercent)

/**
 * Interference only raises a p99, so each window is the best of the calm rounds: the lowest p99
 * without logins (the strictest reference) and the lowest during logins. With no calm round, the
 * least disturbed one.
 */
function bestLogins (rounds: readonly LoginsResult[]): LoginsResult {
  const calm = rounds.filter((r) => loginsSteal(r) <= STEAL_LIMIT_PERCENT)
  if (calm.length === 0) return best(rounds, (r) => -loginsSteal(r))
  const quiet = best(calm, (r) => -r.quiet.latency.p99Ms)
  const during = best(calm, (r) => -r.duringLogins.latency.p99Ms)
  const result: LoginsResult = { quiet: quiet.quiet, duringLogins: during.duringLogins, logins: during.logins }
  if (quiet.loopDelay !== undefined && during.loopDelay !== undefined) {
    result.loopDelay = { quiet: quiet.loopDelay.quiet, duringLogins: during.loopDelay.duringLogins }
  }
  return result
}

/** hero-socket's logins with paced probes beside them, and the server's event-loop delay. */
async function measureLogins (turn: Turn): Promise<void> {
  const { run, settings, label, gen, server, target } = turn
  const task: Task = {
    kind: 'logins',
    probes: settings.probeConnections,
    probeIntervalMs: settings.probeIntervalMs,
    concurrency: settings.loginConcurrency,
    warmupMs: settings.warmupMs,
    durationMs: settings.durationMs,
    username: BENCH_USER,
    password: turn.workspace.password
  }
  const timeoutMs = 2 * turn.windowMs + 2 * LOGIN_WAIT_MAX_MS + 60_000
  const results = await steadily(settings, turn.budget, `${label} logins`, loginsSteal,
    () => profiled(server, settings, `${run.server}-${run.transport}-logins`,
      () => loginsWithLoopDelay(gen, server, target, task, timeoutMs)))
  const rounds = [...(run.logins?.rounds ?? []), ...results]
  const probesPerSecond = settings.probeConnections * 1000 / settings.probeIntervalMs
  run.logins = { concurrency: settings.loginConcurrency, probesPerSecond, result: bestLogins(rounds), rounds }
  for (const r of results) {
    progress(`${label}: ${perSecond(r.logins).toFixed(1)} logins/s; probe p99 ${ms(r.quiet.latency.p99Ms)} ms quiet ` +
      `(${r.quiet.operations} probes), ${ms(r.duringLogins.latency.p99Ms)} ms during logins ` +
      `(${r.duringLogins.operations}); ` +
      `server event-loop delay p99 ${ms(r.loopDelay?.quiet.p99Ms)} → ${ms(r.loopDelay?.duringLogins.p99Ms)} ms; ` +
      `steal ${loginsSteal(r).toFixed(0)}%`)
  }
}

/** Revocation across two instances on `redis`; keeps the round with the lowest p99 where every socket closed. */
async function measureRevocationRound (turn: Turn, redis: BenchRedis): Promise<void> {
  const { run, settings, label } = turn
  const result = await measureRevocation(turn.gen, turn.target, settings, turn.workspace, turn.pinned, redis)
  // Interference only delays a close: the round with the lowest p99 (of those where every socket closed) is kept.
  const rounds = [...(run.revocation?.rounds ?? []), result]
  const closedScore = (r: RevocationResult): number => r.errors === 0 && r.closed > 0 ? -r.latency.p99Ms : -Infinity
  run.revocation = { sessions: settings.revocationSessions, result: best(rounds, closedScore), rounds }
  const errors = result.lastError === undefined ? '' : `; ${result.errors} errors (${result.lastError})`
  progress(`${label}: revocation across two instances: ${result.closed} of ${result.sessions} sockets closed with ` +
    `4401, logout → 4401 p50 ${ms(result.latency.p50Ms)} ms, p99 ${ms(result.latency.p99Ms)} ms, ` +
    `max ${ms(result.latency.maxMs)} ms${errors}`)
}

/**
 * Runs the selected workloads against one server on one transport, on a fresh server process,
 * keeping in `run` the better of this round's and earlier rounds' windows. The idle workload
 * runs in the first round only.
 */
async function benchServer (
  run: ServerRun, settings: BenchSettings, workspace: Workspace, pinned: boolean, round: number
): Promise<void> {
  const { server: kind, transport } = run
  const selected = new Set(settings.workloads)
  if (round > 1) selected.delete('idle')
  const redis = kind === 'hero-socket+redis' ? await startRedis(settings, workspace, pinned) : undefined
  let started: { server: BenchProcess, target: Target } | undefined
  let generator: BenchProcess | undefined
  try {
    started = await startServer(kind, transport, settings, workspace, pinned, redis)
    const generatorCore = pinned ? settings.generatorCore : undefined
    const generatorOptions = { core: generatorCore, env: process.env, echo: settings.verbose }
    generator = new BenchProcess('load-generator', GENERATOR_SCRIPT, generatorOptions)
    const turn: Turn = {
      run,
      settings,
      workspace,
      pinned,
      label: `${kind} ${transport}${settings.repeat > 1 ? ` (round ${round})` : ''}`,
      budget: `${kind} ${transport}`,
      windowMs: settings.warmupMs + settings.durationMs,
      gen: new GeneratorClient(generator),
      ...started
    }
    if (selected.has('idle')) await measureIdle(run, turn.gen, turn.server, turn.target, settings, redis)
    for (const connections of selected.has('roundtrips') ? settings.connections : []) {
      await measureRoundTrips(turn, connections)
    }
    if (selected.has('handshakes')) await measureHandshakes(turn)
    if (kind === 'hero-socket' && selected.has('logins')) await measureLogins(turn)
    if (kind === 'hero-socket+redis' && selected.has('revocation') && redis !== undefined) {
      await measureRevocationRound(turn, redis)
    }
  } finally {
    await generator?.stop()
    await started?.server.stop({ type: 'stop' })
    await redis?.stop()
  }
}

/** redis-server's share of a window, for a progress line; '' without Redis. */
function redisProgress (w: Window): string {
  if (w.redis === undefined) return ''
  return ` (+ ${(w.redis.cpuUs / w.operations).toFixed(1)} µs in redis-server), ` +
    `${(w.redis.total / w.operations).toFixed(3)} Redis commands/op`
}

/** The redis-server version, for the report's header (set by the first hero-socket+redis run). */
let redisVersion: string | undefined

/** Starts a redis-server for one hero-socket+redis run, on the server's core (see redis-server.ts). */
async function startRedis (settings: BenchSettings, workspace: Workspace, pinned: boolean): Promise<BenchRedis> {
  const dir = await fsp.mkdtemp(path.join(workspace.dir, 'redis-'))
  const redis = await BenchRedis.start(pinned ? settings.serverCore : undefined, dir)
  redisVersion ??= await redis.version()
  return redis
}

/**
 * Starts one server process pinned to the server's core and waits until it listens; for hero-socket
 * logs in once, so every handshake carries a real session (the other servers get the same bytes).
 */
async function startServer (
  kind: ServerKind, transport: Transport, settings: BenchSettings, workspace: Workspace, pinned: boolean,
  redis: BenchRedis | undefined, name: string = kind
): Promise<{ server: BenchProcess, target: Target }> {
  const server = new BenchProcess(name, SERVER_SCRIPTS[kind], {
    core: pinned ? settings.serverCore : undefined,
    nodeArgs: ['--expose-gc'],
    env: serverEnv(kind, transport, workspace, redis?.url),
    echo: settings.verbose
  })
  try {
    const listeningMessage = (m: unknown): ListeningMessage | undefined =>
      (m as ListeningMessage).type === 'listening' ? m as ListeningMessage : undefined
    const listening = await server.waitFor(listeningMessage, 60_000, 'listening')
    const scheme = transport === 'tls' ? 'https' : 'http'
    const httpBase = `${scheme}://127.0.0.1:${listening.port}`
    const ca = transport === 'tls' ? await fsp.readFile(workspace.certFile, 'utf8') : undefined
    const sessionId = isHeroSocket(kind)
      ? await login({ httpBase, origin: httpBase, username: BENCH_USER, password: workspace.password, ca })
      : randomBytes(32).toString('base64url')
    const target: Target = {
      kind,
      socketBase: `${transport === 'tls' ? 'wss' : 'ws'}://127.0.0.1:${listening.port}`,
      httpBase,
      origin: httpBase,
      cookie: `__Host-sid=${sessionId}`,
      caFile: transport === 'tls' ? workspace.certFile : undefined,
      serverPid: listening.pid,
      redis: redis === undefined ? undefined : { url: redis.url, pid: redis.pid }
    }
    return { server, target }
  } catch (err) {
    await server.stop({ type: 'stop' })
    throw err
  }
}

/**
 * Revocation across two instances: a second hero-socket+redis (B, same Redis, same core) next to
 * the one measured so far (A); sessions logged in on A hold sockets on B, and each logout on A is
 * timed until B's socket closes with 4401.
 */
async function measureRevocation (
  gen: GeneratorClient, a: Target, settings: BenchSettings, workspace: Workspace, pinned: boolean, redis: BenchRedis
): Promise<RevocationResult> {
  const transport: Transport = a.httpBase.startsWith('https:') ? 'tls' : 'plain'
  const { server: b, target } =
    await startServer('hero-socket+redis', transport, settings, workspace, pinned, redis, 'hero-socket+redis B')
  try {
    const task: Task = {
      kind: 'revocation',
      sessions: settings.revocationSessions,
      concurrency: settings.loginConcurrency,
      socketsOn: target,
      username: BENCH_USER,
      password: workspace.password
    }
    return await gen.run<RevocationResult>(a, task, 120_000 + settings.revocationSessions * 1000)
  } finally {
    await b.stop({ type: 'stop' })
  }
}

function loadAverage (): string {
  return os.loadavg().map((n) => n.toFixed(2)).join(' ')
}

/** What the machine allows the run: pinning, its cores and open files per process. */
interface Machine { readonly pinned: boolean, readonly cores: number, readonly fileLimit: number }

/** The settings and the machine, or the exit code (2) after saying why they cannot be used. */
function checkedSettings (): { settings: BenchSettings, machine: Machine } | number {
  let settings: BenchSettings
  try {
    settings = readSettings()
  } catch (err) {
    if (!(err instanceof BenchSettingsError)) throw err
    process.stderr.write(`bench: ${err.message}\n`)
    return 2
  }
  const machine = { pinned: canPin(), cores: os.cpus().length, fileLimit: childFileLimit() }
  if (!machine.pinned) progress('taskset (util-linux) is missing: running unpinned, numbers are less comparable')
  else if (Math.max(settings.serverCore, settings.generatorCore) >= machine.cores) {
    const cores = machine.cores
    process.stderr.write(`bench: BENCH_SERVER_CORE/BENCH_GENERATOR_CORE must be below the ${cores} cores here\n`)
    return 2
  }
  const needed = settings.idleConnections + SPARE_FILE_DESCRIPTORS
  if (machine.fileLimit < needed) {
    process.stderr.write(`bench: BENCH_IDLE_CONNECTIONS=${settings.idleConnections} needs ${needed} open files ` +
      'per process; ' +
      `this machine allows ${machine.fileLimit}\n`)
    return 2
  }
  return { settings, machine }
}

/** The run of `server` over `transport`, created empty on its first turn. */
function runOf (runs: ServerRun[], server: ServerKind, transport: Transport): ServerRun {
  let run = runs.find((r) => r.server === server && r.transport === transport)
  if (run === undefined) {
    run = { server, transport, roundTrips: [] }
    runs.push(run)
  }
  return run
}

/**
 * Every round of every server over every transport. Servers take turns within each round, so a
 * disturbance from outside (other processes on the machine) tends to hit one round of a server
 * rather than every round of it. A server that fails is left out of its later rounds.
 */
async function runRounds (settings: BenchSettings, workspace: Workspace, pinned: boolean): Promise<ServerRun[]> {
  const runs: ServerRun[] = []
  for (const transport of settings.transports) {
    for (let round = 1; round <= settings.repeat; round++) {
      for (const server of settings.servers) {
        const run = runOf(runs, server, transport)
        if (run.failure !== undefined) continue
        progress(`${server} over ${transport}${settings.repeat > 1 ? `, round ${round} of ${settings.repeat}` : ''}…`)
        try {
          await benchServer(run, settings, workspace, pinned, round)
        } catch (err) {
          run.failure = (err as Error).message
          progress(`${server} ${transport} FAILED: ${run.failure}`)
        }
        await sleep(settings.quick ? 100 : 1000)
      }
    }
  }
  return runs
}

/** What the table's columns and rows mean, printed under it. */
const LEGEND = [
  '×ws: ratio to the bare ws server on the same transport. server cost: CPU time of the server process (user +',
  'system, all threads) per operation over the window; srv/gen cpu: share of one core used by the server / load',
  'generator during the window (srv cpu near 100% = the server was the bottleneck); steal: CPU time the hypervisor',
  'gave to other machines (a few % is normal here; more means the row is disturbed). idle: growth of the server\'s RSS',
  'after a full GC, per open socket. probes: paced round trips. server loop delay: how late the server\'s event loop',
  'ran a timer due every 1 ms, over the same windows (monitorEventLoopDelay). handshakes: each loop connects, waits',
  'for the first message, closes with 1000 and waits for the server\'s close frame and the end of the TCP connection',
  'before connecting again; one operation (and its latency) is that whole cycle. "+ redis-server" rows',
  '(hero-socket+redis): rate = Redis commands per operation (INFO commandstats over the window, commands run inside',
  'Lua scripts included, the benchmark\'s INFO left out); server cost = hero-socket\'s CPU plus redis-server\'s, per',
  'operation; srv cpu = redis-server\'s own share of a core. Idle: redis-server\'s used_memory growth per socket.',
  'revocation: sessions logged in on instance A, each with a socket open on instance B (same Redis); each session',
  'logged out on A in turn; p50/p99 from sending POST /logout to A to the 4401 close at B (the client\'s \'close\'',
  'event), max in the cost column.'
]

/** How a run was made, for the report's header. */
interface RunConditions {
  readonly settings: BenchSettings
  readonly machine: Machine
  readonly cpu: string
  readonly startedAt: Date
  readonly loadBefore: string
  readonly keptAwake: boolean
}

/** The report's header: when, on what machine, pinned how, with which settings and limits. */
function reportHeader ({ settings, machine, cpu, startedAt, loadBefore, keptAwake }: RunConditions): string[] {
  const seconds = (settings.durationMs / 1000).toLocaleString('en-US')
  const when = startedAt.toISOString().slice(0, 16).replace('T', ' ')
  const rounds = settings.repeat > 1
    ? `best of ${settings.repeat} rounds (servers taking turns; best = most operations/s; for logins, of the rounds ` +
      'under the steal limit, the lowest probe p99 without logins and the lowest during logins)'
    : 'one round'
  const argon2 = `argon2id m=${ARGON2_MIN.memoryKiB} KiB t=${ARGON2_MIN.timeCost} p=${ARGON2_MIN.parallelism}`
  return [
    `hero-socket benchmark, ${when} UTC` +
      (settings.quick ? ' (QUICK mode: short windows, small counts; not for comparison)' : ''),
    `machine: ${cpu}, ${machine.cores} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ` +
      `OpenSSL ${process.versions.openssl}; load average ${loadBefore} before, ${loadAverage()} after ` +
      '(the run itself adds about 4)',
    machine.pinned
      ? `pinning: server on core ${settings.serverCore}, load generator on core ${settings.generatorCore} (taskset); ` +
        `open files per process ${machine.fileLimit}`
      : `pinning: NONE (no taskset); open files per process ${machine.fileLimit}`,
    keptAwake
      ? 'idle cores: kept awake by SCHED_IDLE busy loops (an idle vCPU here takes ms to wake; ' +
        'BENCH_KEEP_AWAKE=0 turns this off)'
      : 'idle cores: left to sleep (wake-up latency of idle vCPUs is in the latencies)',
    `settings: ${settings.warmupMs / 1000} s warm-up, ${seconds} s window per measurement, ${rounds}, ` +
      'windows with over ' +
      `${STEAL_LIMIT_PERCENT}% steal measured again (up to ${settings.stealRetries} times per server and transport; ` +
      `${retriesUsed} in all); loopback 127.0.0.1; ws client without permessage-deflate; ` +
      'TLS: Node defaults (TLS 1.3), ' +
      'P-256 certificate, full handshakes',
    `hero-socket: LOG_LEVEL=warn; rate limits on, raised to ${Number(HIGH_LIMIT).toLocaleString('en-US')} ` +
      '(MESSAGE_RATE/BURST, ' +
      'WS_HANDSHAKE_RATE/BURST, WS_MAX_CONNECTIONS_PER_IP/USER, RATE_LIMIT_MAX, LOGIN_RATE_IP/USER_MAX); ' + argon2,
    ...(settings.servers.includes('hero-socket+redis')
      ? [`hero-socket+redis: the same with REDIS_URL, on a redis-server ${redisVersion ?? '(not started)'} ` +
          'of its own per run (loopback TCP, no persistence) pinned to the server\'s core, ' +
          'as is the second instance of the revocation rows; ' +
          `revocation: ${settings.revocationSessions} sessions`]
      : [])
  ]
}

/** The whole report: header, table, legend, targets, and the runs that failed. */
function report (conditions: RunConditions, runs: readonly ServerRun[], checks: readonly TargetCheck[]): string {
  const failures = runs.filter((r) => r.failure !== undefined)
  return [
    ...reportHeader(conditions),
    '',
    formatTable(runs),
    '',
    ...LEGEND,
    '',
    'targets (hero-socket vs bare ws, server pinned to one core; n/a when a window behind it had over ' +
      `${DISTURBED_STEAL_PERCENT}% steal):`,
    formatTargets(checks),
    ...(failures.length > 0 ? [''] : []),
    ...failures.map((r) => `FAILED ${r.server} ${r.transport}: ${r.failure ?? ''}`)
  ].join('\n') + '\n'
}

async function main (): Promise<number> {
  const checked = checkedSettings()
  if (typeof checked === 'number') return checked
  const { settings, machine } = checked
  const loadBefore = loadAverage()
  const startedAt = new Date()
  const workspace = await prepareWorkspace()
  if (settings.cpuProfileDir !== undefined) await fsp.mkdir(settings.cpuProfileDir, { recursive: true })
  const awake = [settings.serverCore, settings.generatorCore]
  const stopKeepingAwake = settings.keepAwake && machine.pinned ? keepCoresAwake(awake) : undefined
  let runs: ServerRun[]
  try {
    runs = await runRounds(settings, workspace, machine.pinned)
  } finally {
    stopKeepingAwake?.()
    await fsp.rm(workspace.dir, { recursive: true, force: true })
  }
  const checks = checkTargets(runs)
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const conditions = { settings, machine, cpu, startedAt, loadBefore, keptAwake: stopKeepingAwake !== undefined }
  process.stdout.write(report(conditions, runs, checks))
  if (settings.jsonFile !== undefined) {
    const { pinned, cores, fileLimit } = machine
    const about = { cpu, cores, node: process.version, loadBefore, loadAfter: loadAverage(), pinned, fileLimit }
    const json = JSON.stringify({ settings, machine: about, runs, targets: checks }, null, 2)
    await fsp.writeFile(settings.jsonFile, json + '\n')
  }
  return runs.some((r) => r.failure !== undefined) ? 1 : 0
}

process.exitCode = await main()
