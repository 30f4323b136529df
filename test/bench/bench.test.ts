// `npm run bench` end to end in quick mode (BENCH_QUICK=1): every server, transport and
// workload appears in the table with sane numbers, and every target gets a verdict. Speed is
// never asserted here: the numbers of a short run on a busy machine mean nothing.
import t from 'tap'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ServerRun, TargetCheck } from '../../bench/report.js'
import type { Window } from '../../bench/messages.js'

const RUNNER = fileURLToPath(new URL('../../dist/bench/run.js', import.meta.url))
const SERVERS = ['ws', 'socket.io', 'hero-socket']
const TRANSPORTS = ['tls', 'plain']
const QUICK_IDLE_SOCKETS = 200

/** The assertions saneWindow uses (avoids depending on tap's plugin types). */
interface Asserts { ok (value: unknown, message: string): unknown, equal (found: unknown, wanted: unknown, message: string): unknown }

interface BenchJson { runs: ServerRun[], targets: TargetCheck[], machine: { pinned: boolean } }

function runBench (env: Record<string, string>): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [RUNNER], { env: { ...process.env, ...env }, timeout: 170_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

/** A measured window that actually measured something, without errors. */
function saneWindow (t: Asserts, w: Window | undefined, what: string): void {
  t.ok(w !== undefined, `${what} measured`)
  if (w === undefined) return
  t.ok(w.operations > 0, `${what}: operations (${w.operations})`)
  t.equal(w.errors, 0, `${what}: no errors`)
  t.ok(w.seconds > 0.05 && w.seconds < 30, `${what}: window length (${w.seconds} s)`)
  t.ok(w.latency.p50Ms > 0 && w.latency.p99Ms >= w.latency.p50Ms && w.latency.maxMs >= w.latency.p99Ms, `${what}: 0 < p50 ≤ p99 ≤ max`)
  t.ok(w.serverCpuUs >= 0 && Number.isFinite(w.serverCpuUs), `${what}: server CPU time read`)
}

// About 30 s on a quiet machine; much longer while other suites share the two cores.
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
      for (const workload of ['round trips C=10', 'round trips C=50', 'handshakes K=', `idle ${QUICK_IDLE_SOCKETS} sockets`]) {
        const row = stdout.split('\n').find((line) => line.startsWith(workload) && line.includes(` ${transport} `) && line.includes(` ${server} `))
        t.ok(row !== undefined && !row.includes('FAILED') && !row.includes('not measured'), `row: ${workload} ${transport} ${server}`)
      }
    }
    for (const workload of ['logins K=', 'probes', 'probes', 'server loop delay, no logins', 'server loop delay, logins']) {
      t.ok(stdout.split('\n').some((line) => line.startsWith(workload) && line.includes(` ${transport} `)), `row: ${workload} ${transport}`)
    }
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
    if (run.server === 'hero-socket') {
      saneWindow(t, run.logins?.result.logins, `${name} logins`)
      saneWindow(t, run.logins?.result.quiet, `${name} probes without logins`)
      saneWindow(t, run.logins?.result.duringLogins, `${name} probes during logins`)
      // The server's own event-loop delay over both probe windows: timer samples, in ms.
      for (const [window, delay] of Object.entries(run.logins?.result.loopDelay ?? {})) {
        t.ok(delay.samples > 0, `${name} loop delay ${window}: sampled`)
        t.ok(delay.p50Ms >= 0 && delay.p50Ms <= delay.p99Ms && delay.p99Ms <= delay.maxMs, `${name} loop delay ${window}: 0 <= p50 <= p99 <= max`)
      }
      t.same(Object.keys(run.logins?.result.loopDelay ?? {}), ['quiet', 'duringLogins'], `${name}: loop delay over both windows`)
    } else {
      t.equal(run.logins, undefined, `${name}: no login workload`)
    }
  }
  const verdicts = result.targets.map((c) => c.name)
  for (const transport of TRANSPORTS) {
    for (const name of [`round trips C=10 ${transport}`, `round trips C=50 ${transport}`, `handshakes ${transport}`, `idle memory ${transport}`, `logins ${transport}`]) {
      t.ok(verdicts.includes(name), `target: ${name}`)
    }
  }
  // A target gets no verdict only when the hypervisor disturbed its windows (steal time).
  t.ok(result.targets.every((c) => typeof c.pass === 'boolean' || c.detail.startsWith('disturbed')), 'every target has a verdict, or says it was disturbed')
  t.match(stdout, /^(PASS|FAIL|n\/a ) {2}round trips C=10 tls/m, 'targets are printed as pass/fail')
})
