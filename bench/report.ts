// The benchmark's results, printed as one table with ratios to the bare ws server, followed
// by the targets hero-socket is held to (pass/fail). Numbers here are reported, never asserted.
import type { LoginsResult, Window } from './messages.js'
import type { ServerKind, Transport } from './settings.js'

/** Everything measured for one server over one transport. */
export interface ServerRun {
  readonly server: ServerKind
  readonly transport: Transport
  /** Why this run stopped early, if it did. */
  failure?: string
  /** `window` is the best of `rounds` (most operations per second). */
  roundTrips: Array<{ connections: number, window: Window, rounds: Window[] }>
  handshakes?: { concurrency: number, window: Window, rounds: Window[] }
  idle?: {
    connections: number
    errors: number
    openSeconds: number
    /** Growth of the server's RSS (after a full GC) per open socket, bytes. */
    rssPerConnection: number
    /** Growth of the V8 heap in use per open socket, bytes. */
    heapPerConnection: number
  }
  /** `result`: of the calm rounds, the lowest probe p99 without logins, and the lowest during logins (with its logins). */
  logins?: { concurrency: number, probesPerSecond: number, result: LoginsResult, rounds: LoginsResult[] }
}

/** One pass/fail line; `pass` is undefined when a number is missing. */
export interface TargetCheck { readonly name: string, readonly pass: boolean | undefined, readonly detail: string }

/** Above this share of steal time a window is disturbed: targets built on it get no verdict. */
export const DISTURBED_STEAL_PERCENT = 10

/** Target ratios for hero-socket against bare ws (server on one core). */
export const TARGETS = Object.freeze({
  roundTripCpuRatioMax: 1.15,
  roundTripRateRatioMin: 0.90,
  roundTripP99RatioMax: 1.2,
  handshakeRateRatioMin: 0.80,
  idleExtraBytesMax: 2048,
  loginP99RatioMax: 2
})

export const perSecond = (w: Window): number => w.operations / w.seconds
export const cpuPerOperationUs = (w: Window): number => w.serverCpuUs / w.operations
const cpuPercent = (us: number, w: Window): number => us / (w.seconds * 1e6) * 100
const steal = (w: Window): string => `${w.stealPercent.toFixed(0)}%`

const group = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const num = (n: number | undefined, digits: number): string => n === undefined || !Number.isFinite(n) ? '—' : group(n, digits)
const ratio = (value: number | undefined, base: number | undefined, suffix = ''): string =>
  value === undefined || base === undefined || !(base > 0) || !Number.isFinite(value) ? '' : `${(value / base).toFixed(2)}×${suffix}`
/** Milliseconds for a table or a progress line; '—' when nothing was measured. */
export const ms = (n: number | undefined): string => num(n, n !== undefined && n < 10 ? 2 : 1)
const rateText = (n: number): string => `${num(n, n < 100 ? 1 : 0)}/s`
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`

const COLUMNS = ['workload', 'transport', 'server', 'rate', '×ws', 'p50 ms', 'p99 ms', '×ws', 'server cost', '×ws', 'srv cpu', 'gen cpu', 'steal', 'errors'] as const
const LEFT = new Set([0, 1, 2])

/** The table: one row per workload, transport and server, ratios against ws on the same transport. */
export function formatTable (runs: readonly ServerRun[]): string {
  const rows: string[][] = []
  const find = (server: ServerKind, transport: Transport): ServerRun | undefined => runs.find((r) => r.server === server && r.transport === transport)
  const transports = [...new Set(runs.map((r) => r.transport))]
  const servers = [...new Set(runs.map((r) => r.server))]
  const connectionCounts = [...new Set(runs.flatMap((r) => r.roundTrips.map((x) => x.connections)))]

  const windowRow = (label: string, transport: Transport, server: ServerKind, w: Window, base: Window | undefined, unit: string): string[] => [
    label, transport, server,
    rateText(perSecond(w)), ratio(perSecond(w), base && perSecond(base)),
    ms(w.latency.p50Ms), ms(w.latency.p99Ms), ratio(w.latency.p99Ms, base?.latency.p99Ms),
    `${num(cpuPerOperationUs(w), 1)} µs/${unit}`, ratio(cpuPerOperationUs(w), base && cpuPerOperationUs(base)),
    `${cpuPercent(w.serverCpuUs, w).toFixed(0)}%`, `${cpuPercent(w.generatorCpuUs, w).toFixed(0)}%`, steal(w), String(w.errors)
  ]
  const failedRow = (label: string, transport: Transport, run: ServerRun | undefined, server: ServerKind): string[] =>
    [label, transport, server, run?.failure !== undefined ? 'FAILED (see below)' : 'not measured', '', '', '', '', '', '', '', '', '', '']

  for (const connections of connectionCounts) {
    for (const transport of transports) {
      const base = find('ws', transport)?.roundTrips.find((x) => x.connections === connections)?.window
      for (const server of servers) {
        const run = find(server, transport)
        const w = run?.roundTrips.find((x) => x.connections === connections)?.window
        const label = `round trips C=${connections}`
        rows.push(w === undefined ? failedRow(label, transport, run, server) : windowRow(label, transport, server, w, base, 'rt'))
      }
    }
  }
  for (const transport of transports) {
    const base = find('ws', transport)?.handshakes?.window
    for (const server of servers) {
      const run = find(server, transport)
      const h = run?.handshakes
      const label = `handshakes K=${h?.concurrency ?? ''}`
      rows.push(h === undefined ? failedRow(label, transport, run, server) : windowRow(label, transport, server, h.window, base, 'hs'))
    }
  }
  for (const transport of transports) {
    const base = find('ws', transport)?.idle
    for (const server of servers) {
      const run = find(server, transport)
      const idle = run?.idle
      const label = `idle ${idle === undefined ? '' : group(idle.connections)} sockets`
      rows.push(idle === undefined
        ? failedRow(label, transport, run, server)
        : [label, transport, server, `${group(idle.connections)} open`, '', '', '', '', `${kib(idle.rssPerConnection)}/conn`,
            ratio(idle.rssPerConnection, base?.rssPerConnection), '', '', '', String(idle.errors)])
    }
  }
  for (const transport of transports) {
    const run = find('hero-socket', transport)
    const logins = run?.logins
    if (logins === undefined) {
      if (run !== undefined) rows.push(failedRow('logins', transport, run, 'hero-socket'))
      continue
    }
    const { quiet, duringLogins, logins: l } = logins.result
    const probes = `probes ${group(logins.probesPerSecond)}/s`
    rows.push([`logins K=${logins.concurrency}`, transport, 'hero-socket', rateText(perSecond(l)), '', ms(l.latency.p50Ms), ms(l.latency.p99Ms), '',
      `${num(cpuPerOperationUs(l) / 1000, 1)} ms/login`, '', `${cpuPercent(l.serverCpuUs, l).toFixed(0)}%`, `${cpuPercent(l.generatorCpuUs, l).toFixed(0)}%`, steal(l), String(l.errors)])
    rows.push([`${probes}, no logins`, transport, 'hero-socket', rateText(perSecond(quiet)), '', ms(quiet.latency.p50Ms), ms(quiet.latency.p99Ms), '',
      '', '', `${cpuPercent(quiet.serverCpuUs, quiet).toFixed(0)}%`, '', steal(quiet), String(quiet.errors)])
    rows.push([`${probes}, during logins`, transport, 'hero-socket', rateText(perSecond(duringLogins)), '', ms(duringLogins.latency.p50Ms), ms(duringLogins.latency.p99Ms),
      ratio(duringLogins.latency.p99Ms, quiet.latency.p99Ms, ' quiet'), '', '', '', '', steal(duringLogins), String(duringLogins.errors)])
    const delay = logins.result.loopDelay
    if (delay !== undefined) {
      rows.push(['server loop delay, no logins', transport, 'hero-socket', '', '', ms(delay.quiet.p50Ms), ms(delay.quiet.p99Ms), '', '', '', '', '', '', ''])
      rows.push(['server loop delay, logins', transport, 'hero-socket', '', '', ms(delay.duringLogins.p50Ms), ms(delay.duringLogins.p99Ms),
        ratio(delay.duringLogins.p99Ms, delay.quiet.p99Ms, ' quiet'), '', '', '', '', '', ''])
    }
  }

  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string => cells
    .map((cell, i) => LEFT.has(i) ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))
    .join('  ').trimEnd()
  const out = [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  ')]
  let previous = ''
  for (const row of rows) {
    const workload = (row[0] ?? '').replace(/,.*$/, '')
    if (previous !== '' && workload !== previous && !workload.startsWith('probes')) out.push('')
    previous = workload
    out.push(line(row))
  }
  return out.join('\n')
}

/** The targets, hero-socket against bare ws on each transport. */
export function checkTargets (runs: readonly ServerRun[]): TargetCheck[] {
  const checks: TargetCheck[] = []
  const find = (server: ServerKind, transport: Transport): ServerRun | undefined => runs.find((r) => r.server === server && r.transport === transport)
  const missing = (name: string): TargetCheck => ({ name, pass: undefined, detail: 'not measured' })
  // A verdict needs calm windows on both sides; otherwise the numbers are shown without one.
  const judged = (name: string, windows: readonly Window[], pass: boolean, detail: string): TargetCheck => {
    const steal = Math.max(...windows.map((w) => w.stealPercent))
    return steal > DISTURBED_STEAL_PERCENT
      ? { name, pass: undefined, detail: `disturbed (${steal.toFixed(0)}% steal), no verdict: ${detail}` }
      : { name, pass, detail }
  }
  const transports = [...new Set(runs.map((r) => r.transport))]
  for (const transport of transports) {
    const hero = find('hero-socket', transport)
    const ws = find('ws', transport)
    if (hero === undefined || ws === undefined) continue
    for (const { connections, window: base } of ws.roundTrips) {
      const name = `round trips C=${connections} ${transport}`
      const w = hero.roundTrips.find((x) => x.connections === connections)?.window
      if (w === undefined) { checks.push(missing(name)); continue }
      const cpu = cpuPerOperationUs(w) / cpuPerOperationUs(base)
      const rate = perSecond(w) / perSecond(base)
      const p99 = w.latency.p99Ms / base.latency.p99Ms
      // When the bare server is not saturated, the one-core generator set its pace, and the
      // msg/s ratio says less about the servers than the CPU time per round trip does.
      const baseBusy = cpuPercent(base.serverCpuUs, base)
      const note = baseBusy < 90 ? `; ws server only ${baseBusy.toFixed(0)}% busy: msg/s bound by the generator` : ''
      checks.push(judged(name, [w, base],
        cpu <= TARGETS.roundTripCpuRatioMax && rate >= TARGETS.roundTripRateRatioMin && p99 <= TARGETS.roundTripP99RatioMax,
        `cpu/rt ${cpu.toFixed(2)}× (≤ ${TARGETS.roundTripCpuRatioMax}) ${mark(cpu <= TARGETS.roundTripCpuRatioMax)}, ` +
          `msg/s ${rate.toFixed(2)}× (≥ ${TARGETS.roundTripRateRatioMin.toFixed(2)}) ${mark(rate >= TARGETS.roundTripRateRatioMin)}, ` +
          `p99 ${p99.toFixed(2)}× (≤ ${TARGETS.roundTripP99RatioMax}) ${mark(p99 <= TARGETS.roundTripP99RatioMax)}${note}`))
    }
    if (hero.handshakes !== undefined && ws.handshakes !== undefined) {
      const rate = perSecond(hero.handshakes.window) / perSecond(ws.handshakes.window)
      checks.push(judged(`handshakes ${transport}`, [hero.handshakes.window, ws.handshakes.window], rate >= TARGETS.handshakeRateRatioMin, `rate ${rate.toFixed(2)}× (≥ ${TARGETS.handshakeRateRatioMin.toFixed(2)})`))
    } else checks.push(missing(`handshakes ${transport}`))
    if (hero.idle !== undefined && ws.idle !== undefined) {
      const extra = hero.idle.rssPerConnection - ws.idle.rssPerConnection
      checks.push({
        name: `idle memory ${transport}`,
        pass: extra <= TARGETS.idleExtraBytesMax,
        detail: `${kib(hero.idle.rssPerConnection)} vs ${kib(ws.idle.rssPerConnection)} per socket: ${extra >= 0 ? '+' : '−'}${kib(Math.abs(extra))} (≤ +${kib(TARGETS.idleExtraBytesMax)})`
      })
    } else checks.push(missing(`idle memory ${transport}`))
    if (hero.logins !== undefined) {
      const { quiet, duringLogins, loopDelay } = hero.logins.result
      const p99 = duringLogins.latency.p99Ms / quiet.latency.p99Ms
      const server = loopDelay === undefined ? '' : `; server event-loop delay p99 ${ms(loopDelay.duringLogins.p99Ms)} vs ${ms(loopDelay.quiet.p99Ms)} ms`
      checks.push(judged(`logins ${transport}`, [quiet, duringLogins], p99 <= TARGETS.loginP99RatioMax,
        `round-trip p99 ${ms(duringLogins.latency.p99Ms)} ms during logins vs ${ms(quiet.latency.p99Ms)} ms without: ${p99.toFixed(2)}× (≤ ${TARGETS.loginP99RatioMax})${server}`))
    } else checks.push(missing(`logins ${transport}`))
  }
  return checks
}

function mark (ok: boolean): string {
  return ok ? 'ok' : 'MISSED'
}

/** The targets as lines: `PASS  name: detail`. */
export function formatTargets (checks: readonly TargetCheck[]): string {
  const width = Math.max(0, ...checks.map((c) => c.name.length))
  return checks.map((c) => `${c.pass === undefined ? 'n/a ' : c.pass ? 'PASS' : 'FAIL'}  ${c.name.padEnd(width)}  ${c.detail}`).join('\n')
}
