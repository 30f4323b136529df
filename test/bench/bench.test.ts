// `npm run bench` end to end in quick mode (BENCH_QUICK=1): every server (hero-socket on Redis
// included), transport and workload appears in the table with sane numbers, the Redis rows and the
// revocation rows are there, and every target gets a verdict. Speed is never asserted here: the
// numbers of a short run on a busy machine mean nothing.
import t from 'tap'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ServerRun, TargetCheck } from '../../bench/report.js'
import type { Latency, Window } from '../../bench/messages.js'
import { childEnv } from '../helpers/http.js'

const RUNNER = fileURLToPath(new URL('../../dist/bench/run.js', import.meta.url))
const SERVERS = ['ws', 'socket.io', 'hero-socket', 'hero-socket+redis']
const TRANSPORTS = ['tls', 'plain']
const QUICK_IDLE_SOCKETS = 200
const QUICK_REVOCATION_SESSIONS = 30
const REDIS_SERVER = 'hero-socket+redis'
/** The workloads every server measures, as their rows begin. */
const WINDOW_WORKLOADS = ['round trips C=10', 'round trips C=50', 'handshakes K=', `idle ${QUICK_IDLE_SOCKETS} sockets`]
/** hero-socket's login rows, as they begin. */
const LOGIN_WORKLOADS = ['logins K=', 'probes', 'probes', 'server loop delay, no logins', 'server loop delay, logins']
/** Every target, on each transport. */
const TARGET_NAMES = [
  'round trips C=10', 'round trips C=50', 'handshakes', 'handshake cost', 'idle memory', 'logins',
  'redis round trips C=10', 'redis round trips C=50', 'redis handshakes', 'revocation'
]

/** The assertions saneWindow uses (avoids depending on tap's plugin types). */
interface Asserts {
  ok (value: unknown, message: string): unknown
  equal (found: unknown, wanted: unknown, message: string): unknown
}

interface BenchJson { runs: ServerRun[], targets: TargetCheck[], machine: { pinned: boolean } }

function runBench (env: Record<string, string>): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const options = { env: childEnv(env), timeout: 170_000, maxBuffer: 4 * 1024 * 1024 }
    execFile(process.execPath, [RUNNER], options, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

/** Latencies that were measured: 0 < p50 ≤ p99 ≤ max. */
function saneLatency (t: Asserts, l: Latency | undefined, what: string): void {
  t.ok(l !== undefined && l.p50Ms > 0 && l.p99Ms >= l.p50Ms && l.maxMs >= l.p99Ms, `${what}: 0 < p50 ≤ p99 ≤ max`)
}

/** A measured window that actually measured something, without errors. */
function saneWindow (t: Asserts, w: Window | undefined, what: string): void {
  t.ok(w !== undefined, `${what} measured`)
  if (w === undefined) return
  t.ok(w.operations > 0, `${what}: operations (${w.operations})`)
  t.equal(w.errors, 0, `${what}: no errors`)
  t.ok(w.seconds > 0.05 && w.seconds < 30, `${what}: window length (${w.seconds} s)`)
  saneLatency(t, w.latency, what)
  t.ok(w.serverCpuUs >= 0 && Number.isFinite(w.serverCpuUs), `${what}: server CPU time read`)
}

/** The redis-server's side of a hero-socket+redis window: CPU time read, commands counted. */
function saneRedisWindow (t: Asserts, w: Window | undefined, what: string): void {
  const redis = w?.redis
  t.ok(redis !== undefined, `${what}: redis-server measured`)
  if (redis === undefined) return
  t.ok(Number.isFinite(redis.cpuUs) && redis.cpuUs >= 0, `${what}: redis-server CPU time read`)
  t.ok(Number.isInteger(redis.total) && redis.total >= 0, `${what}: Redis commands counted (${redis.total})`)
  t.equal(Object.values(redis.byCommand).reduce((a, b) => a + b, 0), redis.total, `${what}: commands by name add up`)
}

/** The first table row of `workload` on `transport` for `server` (exact server name). */
function rowOf (stdout: string, workload: string, transport: string, server: string): string | undefined {
  return stdout.split('\n')
    .find((line) => line.startsWith(workload) && line.includes(` ${transport} `) && line.includes(` ${server} `))
}

// About 40 s on a quiet machine; much longer while other suites share the two cores.
t.setTimeout(180_000)

t.test('the quick benchmark prints every row with sane numbers', async (t) => {
  t.ok(fs.existsSync(RUNNER), 'dist/bench/run.js exists (npm test builds it first)')
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hero-socket-bench-test-'))
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }))
  const jsonFile = path.join(dir, 'bench.json')
  const { code, stdout, stderr } = await runBench({ BENCH_QUICK: '1', BENCH_JSON: jsonFile })
  t.equal(code, 0, 'exits 0', { stderr: stderr.slice(-2000) })

  for (const transport of TRANSPORTS) {
    for (const server of SERVERS) {
      for (const workload of WINDOW_WORKLOADS) {
        const row = rowOf(stdout, workload, transport, server)
        const measured = row !== undefined && !row.includes('FAILED') && !row.includes('not measured')
        t.ok(measured, `row: ${workload} ${transport} ${server}`)
      }
    }
    for (const workload of LOGIN_WORKLOADS) {
      const found = stdout.split('\n').some((line) => line.startsWith(workload) && line.includes(` ${transport} `))
      t.ok(found, `row: ${workload} ${transport}`)
    }
    // hero-socket+redis: each window has its Redis row (commands per operation, cost with Redis's CPU and its ratio
    // to ws).
    for (const workload of ['round trips C=10', 'round trips C=50', 'handshakes K=4']) {
      const row = rowOf(stdout, `${workload}, + redis-server`, transport, 'hero-socket+redis')
      const redisRow = /\d\.\d+ cmd\/(rt|hs) .* µs\/(rt|hs) +\d+\.\d\d× +\d+%/
      t.match(row ?? '', redisRow, `row: ${workload}, + redis-server ${transport}`)
    }
    const idleRedis = rowOf(stdout, `idle ${QUICK_IDLE_SOCKETS} sockets, + redis-server`, transport, REDIS_SERVER)
    t.match(idleRedis ?? '', /KiB\/conn/, `row: idle, + redis-server ${transport}`)
    const revocation = rowOf(stdout, `revocation A→B N=${QUICK_REVOCATION_SESSIONS}`, transport, 'hero-socket+redis')
    const n = QUICK_REVOCATION_SESSIONS
    const closedRow = new RegExp(`${n}/${n} closed +[\\d.]+ +[\\d.]+ +max [\\d.]+ ms`)
    t.match(revocation ?? '', closedRow, `row: revocation ${transport}`)
    const logoutRow = rowOf(stdout, `revocation A→B N=${n}, logout 303 at A`, transport, 'hero-socket+redis')
    t.ok(logoutRow !== undefined, `row: revocation logout ${transport}`)
  }
  t.match(stdout, /LOG_LEVEL=warn/, 'says hero-socket ran with LOG_LEVEL=warn')
  t.match(stdout, /load average [\d.]+ [\d.]+ [\d.]+ before/, 'reports the load average')

  const result = JSON.parse(await fsp.readFile(jsonFile, 'utf8')) as BenchJson
  t.equal(result.runs.length, SERVERS.length * TRANSPORTS.length, 'one run per server and transport')
  for (const run of result.runs) {
    const name = `${run.server} ${run.transport}`
    t.equal(run.failure, undefined, `${name}: no failure`)
    t.same(run.roundTrips.map((r) => r.connections), [10, 50], `${name}: both connection counts`)
    for (const { connections, window } of run.roundTrips) saneWindow(t, window, `${name} round trips C=${connections}`)
    saneWindow(t, run.handshakes?.window, `${name} handshakes`)
    t.equal(run.idle?.connections, QUICK_IDLE_SOCKETS, `${name}: every idle socket opened`)
    t.ok(Number.isFinite(run.idle?.rssPerConnection), `${name}: RSS per socket is a number`)
    if (run.server === 'hero-socket+redis') {
      for (const { connections, window } of run.roundTrips) {
        saneRedisWindow(t, window, `${name} round trips C=${connections}`)
      }
      saneRedisWindow(t, run.handshakes?.window, `${name} handshakes`)
      // A handshake looks its session up in Redis at the least.
      t.ok((run.handshakes?.window.redis?.total ?? 0) > 0, `${name}: Redis commands during handshakes`)
      t.ok(Number.isFinite(run.idle?.redisBytesPerConnection), `${name}: redis-server memory per socket is a number`)
      const revocation = run.revocation?.result
      t.equal(revocation?.sessions, QUICK_REVOCATION_SESSIONS, `${name}: revocation sessions`)
      t.equal(revocation?.closed, QUICK_REVOCATION_SESSIONS, `${name}: every socket on B closed with 4401`)
      t.equal(revocation?.errors, 0, `${name}: revocation without errors`, { lastError: revocation?.lastError })
      saneLatency(t, revocation?.latency, `${name} revocation logout → 4401`)
      saneLatency(t, revocation?.logout, `${name} revocation logout answer`)
    } else {
      for (const { connections, window } of run.roundTrips) {
        t.equal(window.redis, undefined, `${name} round trips C=${connections}: no Redis`)
      }
      t.equal(run.revocation, undefined, `${name}: no revocation workload`)
    }
    if (run.server === 'hero-socket') {
      saneWindow(t, run.logins?.result.logins, `${name} logins`)
      saneWindow(t, run.logins?.result.quiet, `${name} probes without logins`)
      saneWindow(t, run.logins?.result.duringLogins, `${name} probes during logins`)
      // The server's own event-loop delay over both probe windows: timer samples, in ms.
      for (const [window, delay] of Object.entries(run.logins?.result.loopDelay ?? {})) {
        t.ok(delay.samples > 0, `${name} loop delay ${window}: sampled`)
        const ordered = delay.p50Ms >= 0 && delay.p50Ms <= delay.p99Ms && delay.p99Ms <= delay.maxMs
        t.ok(ordered, `${name} loop delay ${window}: 0 <= p50 <= p99 <= max`)
      }
      const windows = Object.keys(run.logins?.result.loopDelay ?? {})
      t.same(windows, ['quiet', 'duringLogins'], `${name}: loop delay over both windows`)
    } else {
      t.equal(run.logins, undefined, `${name}: no login workload`)
    }
  }
  const verdicts = result.targets.map((c) => c.name)
  for (const transport of TRANSPORTS) {
    for (const target of TARGET_NAMES) {
      const name = `${target} ${transport}`
      t.ok(verdicts.includes(name), `target: ${name}`)
    }
  }
  // A target gets no verdict only when the hypervisor disturbed its windows (steal time).
  const judged = result.targets.every((c) => typeof c.pass === 'boolean' || c.detail.startsWith('disturbed'))
  t.ok(judged, 'every target has a verdict, or says it was disturbed')
  t.match(stdout, /^(PASS|FAIL|n\/a ) {2}round trips C=10 tls/m, 'targets are printed as pass/fail')
})
