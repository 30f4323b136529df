// The benchmark's results, printed as one table with ratios to the bare ws server, followed
// by the targets hero-socket is held to (pass/fail), with and without Redis. Numbers here are
// reported, never asserted.
import type { LoginsResult, RevocationResult, Window } from './messages.js'
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
    /** hero-socket+redis: growth of redis-server's used_memory per open socket, bytes. */
    redisBytesPerConnection?: number
  }
  /**
   * `result`: of the calm rounds, the lowest probe p99 without logins, and the lowest during
   * logins (with its logins).
   */
  logins?: { concurrency: number, probesPerSecond: number, result: LoginsResult, rounds: LoginsResult[] }
  /** hero-socket+redis: logout on one instance to 4401 on another; `result`: the round with the lowest p99. */
  revocation?: { sessions: number, result: RevocationResult, rounds: RevocationResult[] }
}

/** One pass/fail line; `pass` is undefined when a number is missing. */
export interface TargetCheck { readonly name: string, readonly pass: boolean | undefined, readonly detail: string }

/** Above this share of steal time a window is disturbed: targets built on it get no verdict. */
export const DISTURBED_STEAL_PERCENT = 10

/** Target ratios for hero-socket against bare ws (server on one core), and for hero-socket+redis (issue 10). */
export const TARGETS = Object.freeze({
  roundTripCpuRatioMax: 1.15,
  roundTripRateRatioMin: 0.90,
  roundTripP99RatioMax: 1.2,
  handshakeRateRatioMin: 0.80,
  /** In-process stores, the handshake cycle (connect to close complete): CPU and rate against ws. */
  handshakeCostCpuRatioMax: 1.15,
  handshakeCostRateRatioMin: 0.85,
  idleExtraBytesMax: 2048,
  loginP99RatioMax: 2,
  /** hero-socket+redis handshakes per second against ws. */
  redisHandshakeRateRatioMin: 0.7,
  /**
   * Redis commands per round trip: none per message beyond the touch coalesced to one per session
   * per 15 s and the instances' timers (sweep, re-check, leases), so well under one per 100.
   */
  redisCommandsPerRoundTripMax: 0.01,
  /** Logout on instance A to 4401 on instance B, p99 (ms). */
  revocationP99MsMax: 100
})

export const perSecond = (w: Window): number => w.operations / w.seconds
export const cpuPerOperationUs = (w: Window): number => w.serverCpuUs / w.operations
/** hero-socket's and redis-server's CPU per operation, µs (hero-socket's alone without Redis). */
export const cpuWithRedisPerOperationUs = (w: Window): number => (w.serverCpuUs + (w.redis?.cpuUs ?? 0)) / w.operations
/** Redis commands per operation; undefined without Redis. */
export const redisCommandsPerOperation = (w: Window): number | undefined =>
  w.redis === undefined ? undefined : w.redis.total / w.operations
const cpuPercent = (us: number, w: Window): number => us / (w.seconds * 1e6) * 100
const steal = (w: Window): string => `${w.stealPercent.toFixed(0)}%`

const group = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const num = (n: number | undefined, digits: number): string =>
  n === undefined || !Number.isFinite(n) ? '—' : group(n, digits)
const ratio = (value: number | undefined, base: number | undefined, suffix = ''): string =>
  value === undefined || base === undefined || !(base > 0) || !Number.isFinite(value)
    ? ''
    : `${(value / base).toFixed(2)}×${suffix}`
/** Milliseconds for a table or a progress line; '—' when nothing was measured. */
export const ms = (n: number | undefined): string => num(n, n !== undefined && n < 10 ? 2 : 1)
const rateText = (n: number): string => `${num(n, n < 100 ? 1 : 0)}/s`
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`

const COLUMNS = [
  'workload', 'transport', 'server', 'rate', '×ws', 'p50 ms', 'p99 ms', '×ws', 'server cost', '×ws', 'srv cpu',
  'gen cpu', 'steal', 'errors'
] as const
const LEFT = new Set([0, 1, 2])

/** One row of the table, one cell per column. */
type Row = string[]

/** What every section of the table reads: the runs, their transports and servers, in order. */
interface TableRuns {
  readonly transports: readonly Transport[]
  readonly servers: readonly ServerKind[]
  find: (server: ServerKind, transport: Transport) => ServerRun | undefined
}

function tableRuns (runs: readonly ServerRun[]): TableRuns {
  return {
    transports: [...new Set(runs.map((r) => r.transport))],
    servers: [...new Set(runs.map((r) => r.server))],
    find: (server, transport) => runs.find((r) => r.server === server && r.transport === transport)
  }
}

/** A measured window: rate, latencies and server cost, each with its ratio to `base` (ws). */
function windowRow (
  label: string, transport: Transport, server: ServerKind, w: Window, base: Window | undefined, unit: string
): Row {
  return [
    label, transport, server,
    rateText(perSecond(w)), ratio(perSecond(w), base && perSecond(base)),
    ms(w.latency.p50Ms), ms(w.latency.p99Ms), ratio(w.latency.p99Ms, base?.latency.p99Ms),
    `${num(cpuPerOperationUs(w), 1)} µs/${unit}`, ratio(cpuPerOperationUs(w), base && cpuPerOperationUs(base)),
    `${cpuPercent(w.serverCpuUs, w).toFixed(0)}%`, `${cpuPercent(w.generatorCpuUs, w).toFixed(0)}%`, steal(w),
    String(w.errors)
  ]
}

/** The row of a window that has no numbers: failed, or never measured. */
function failedRow (label: string, transport: Transport, run: ServerRun | undefined, server: ServerKind): Row {
  const why = run?.failure !== undefined ? 'FAILED (see below)' : 'not measured'
  return [label, transport, server, why, '', '', '', '', '', '', '', '', '', '']
}

/**
 * A window's row and, for hero-socket+redis, its Redis side: commands per operation, and the
 * server cost with redis-server's CPU added.
 */
function windowRows (
  label: string, transport: Transport, server: ServerKind, w: Window, base: Window | undefined, unit: string
): Row[] {
  const rows = [windowRow(label, transport, server, w, base, unit)]
  if (w.redis === undefined) return rows
  const commands = w.redis.total / w.operations
  const withRedis = cpuWithRedisPerOperationUs(w)
  rows.push([`${label}, + redis-server`, transport, server, `${num(commands, commands < 0.1 ? 4 : 2)} cmd/${unit}`,
    '', '', '', '', `${num(withRedis, 1)} µs/${unit}`, ratio(withRedis, base && cpuPerOperationUs(base)),
    `${cpuPercent(w.redis.cpuUs, w).toFixed(0)}%`, '', '', ''])
  return rows
}

/** Round trips: one block per connection count, then per transport, one row per server. */
function roundTripRows (runs: readonly ServerRun[], table: TableRuns): Row[] {
  const rows: Row[] = []
  const connectionCounts = [...new Set(runs.flatMap((r) => r.roundTrips.map((x) => x.connections)))]
  for (const connections of connectionCounts) {
    for (const transport of table.transports) {
      const base = table.find('ws', transport)?.roundTrips.find((x) => x.connections === connections)?.window
      for (const server of table.servers) {
        const run = table.find(server, transport)
        const w = run?.roundTrips.find((x) => x.connections === connections)?.window
        const label = `round trips C=${connections}`
        if (w === undefined) rows.push(failedRow(label, transport, run, server))
        else rows.push(...windowRows(label, transport, server, w, base, 'rt'))
      }
    }
  }
  return rows
}

function handshakeRows (table: TableRuns): Row[] {
  const rows: Row[] = []
  for (const transport of table.transports) {
    const base = table.find('ws', transport)?.handshakes?.window
    for (const server of table.servers) {
      const run = table.find(server, transport)
      const h = run?.handshakes
      const label = `handshakes K=${h?.concurrency ?? ''}`
      if (h === undefined) rows.push(failedRow(label, transport, run, server))
      else rows.push(...windowRows(label, transport, server, h.window, base, 'hs'))
    }
  }
  return rows
}

/** Idle sockets: memory per open socket (and redis-server's, with Redis), against ws. */
function idleRows (table: TableRuns): Row[] {
  const rows: Row[] = []
  for (const transport of table.transports) {
    const base = table.find('ws', transport)?.idle
    for (const server of table.servers) {
      const run = table.find(server, transport)
      const idle = run?.idle
      const label = `idle ${idle === undefined ? '' : group(idle.connections)} sockets`
      rows.push(idle === undefined
        ? failedRow(label, transport, run, server)
        : [label, transport, server, `${group(idle.connections)} open`, '', '', '', '',
            `${kib(idle.rssPerConnection)}/conn`, ratio(idle.rssPerConnection, base?.rssPerConnection), '', '', '',
            String(idle.errors)])
      if (idle?.redisBytesPerConnection !== undefined) {
        const redisCost = `${kib(idle.redisBytesPerConnection)}/conn`
        rows.push([`${label}, + redis-server`, transport, server, '', '', '', '', '', redisCost, '', '', '', '', ''])
      }
    }
  }
  return rows
}

/** hero-socket's logins over one transport: the logins, the probes without and during them, the loop delay. */
function loginRowsOf (logins: NonNullable<ServerRun['logins']>, transport: Transport): Row[] {
  const { quiet, duringLogins, logins: l } = logins.result
  const probes = `probes ${group(logins.probesPerSecond)}/s`
  const server = 'hero-socket'
  const busy = (w: Window, us: number): string => `${cpuPercent(us, w).toFixed(0)}%`
  const rows: Row[] = [
    [`logins K=${logins.concurrency}`, transport, server, rateText(perSecond(l)), '', ms(l.latency.p50Ms),
      ms(l.latency.p99Ms), '', `${num(cpuPerOperationUs(l) / 1000, 1)} ms/login`, '', busy(l, l.serverCpuUs),
      busy(l, l.generatorCpuUs), steal(l), String(l.errors)],
    [`${probes}, no logins`, transport, server, rateText(perSecond(quiet)), '', ms(quiet.latency.p50Ms),
      ms(quiet.latency.p99Ms), '', '', '', busy(quiet, quiet.serverCpuUs), '', steal(quiet), String(quiet.errors)],
    [`${probes}, during logins`, transport, server, rateText(perSecond(duringLogins)), '',
      ms(duringLogins.latency.p50Ms), ms(duringLogins.latency.p99Ms),
      ratio(duringLogins.latency.p99Ms, quiet.latency.p99Ms, ' quiet'), '', '', '', '', steal(duringLogins),
      String(duringLogins.errors)]
  ]
  const delay = logins.result.loopDelay
  if (delay !== undefined) {
    rows.push(['server loop delay, no logins', transport, server, '', '', ms(delay.quiet.p50Ms), ms(delay.quiet.p99Ms),
      '', '', '', '', '', '', ''])
    rows.push(['server loop delay, logins', transport, server, '', '', ms(delay.duringLogins.p50Ms),
      ms(delay.duringLogins.p99Ms), ratio(delay.duringLogins.p99Ms, delay.quiet.p99Ms, ' quiet'),
      '', '', '', '', '', ''])
  }
  return rows
}

function loginRows (table: TableRuns): Row[] {
  const rows: Row[] = []
  for (const transport of table.transports) {
    const run = table.find('hero-socket', transport)
    if (run?.logins !== undefined) rows.push(...loginRowsOf(run.logins, transport))
    else if (run !== undefined) rows.push(failedRow('logins', transport, run, 'hero-socket'))
  }
  return rows
}

/** hero-socket+redis: logout at A to 4401 at B, and the logout's own answer at A. */
function revocationRows (table: TableRuns): Row[] {
  const rows: Row[] = []
  const server = 'hero-socket+redis'
  for (const transport of table.transports) {
    const run = table.find(server, transport)
    const revocation = run?.revocation
    const label = `revocation A→B N=${revocation?.sessions ?? ''}`
    if (revocation === undefined) {
      if (run !== undefined) rows.push(failedRow(label, transport, run, server))
      continue
    }
    const r = revocation.result
    rows.push([label, transport, server, `${r.closed}/${r.sessions} closed`, '', ms(r.latency.p50Ms),
      ms(r.latency.p99Ms), '', `max ${ms(r.latency.maxMs)} ms`, '', '', '', '', String(r.errors)])
    rows.push([`${label}, logout 303 at A`, transport, server, '', '', ms(r.logout.p50Ms), ms(r.logout.p99Ms), '',
      `max ${ms(r.logout.maxMs)} ms`, '', '', '', '', ''])
  }
  return rows
}

/** The rows under COLUMNS, aligned, with a blank line between workloads (probes stay with their logins). */
function renderTable (rows: readonly Row[]): string {
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

/** The table: one row per workload, transport and server, ratios against ws on the same transport. */
export function formatTable (runs: readonly ServerRun[]): string {
  const table = tableRuns(runs)
  return renderTable([
    ...roundTripRows(runs, table),
    ...handshakeRows(table),
    ...idleRows(table),
    ...loginRows(table),
    ...revocationRows(table)
  ])
}

const missing = (name: string): TargetCheck => ({ name, pass: undefined, detail: 'not measured' })

/** A verdict needs calm windows on both sides; otherwise the numbers are shown without one. */
function judged (name: string, windows: readonly Window[], pass: boolean, detail: string): TargetCheck {
  const steal = Math.max(...windows.map((w) => w.stealPercent))
  return steal > DISTURBED_STEAL_PERCENT
    ? { name, pass: undefined, detail: `disturbed (${steal.toFixed(0)}% steal), no verdict: ${detail}` }
    : { name, pass, detail }
}

/**
 * When the bare server is not saturated, the one-core generator set its pace: the rate ratio then
 * says less about the servers than the CPU time per operation does (and both servers also spend
 * more per operation than they would saturated). A note saying so, or ''.
 */
function generatorBound (base: Window, rate: string): string {
  const busy = cpuPercent(base.serverCpuUs, base)
  return busy < 90 ? `; ws server only ${busy.toFixed(0)}% busy: ${rate} bound by the generator` : ''
}

/** `value` against a bound, as the detail text writes it: `name 1.02× (≤ 1.15) ok`. */
function bound (
  name: string, value: number, op: '≤' | '≥', limit: number, text: string = `${value.toFixed(2)}×`
): { ok: boolean, text: string } {
  const ok = op === '≤' ? value <= limit : value >= limit
  return { ok, text: `${name} ${text} (${op} ${limit.toFixed(2)}) ${mark(ok)}` }
}

/** The busiest Redis commands of a window, per operation: `hmget 1.00, evalsha 1.00`. */
function commandMix (w: Window, top = 10): string {
  const byCommand = Object.entries(w.redis?.byCommand ?? {}).sort((a, b) => b[1] - a[1]).slice(0, top)
  const perOperation = (calls: number): string => (calls / w.operations).toFixed(calls / w.operations < 0.1 ? 4 : 2)
  return byCommand.map(([name, calls]) => `${name} ${perOperation(calls)}`).join(', ')
}

/**
 * Round trips of `hero` against bare ws at each connection count: CPU, rate and p99 ratios, and
 * for hero-socket+redis the Redis commands per round trip.
 */
function roundTripChecks (prefix: string, hero: ServerRun, ws: ServerRun): TargetCheck[] {
  return ws.roundTrips.map(({ connections, window: base }) => {
    const name = `${prefix}round trips C=${connections} ${hero.transport}`
    const w = hero.roundTrips.find((x) => x.connections === connections)?.window
    if (w === undefined) return missing(name)
    const parts = [
      bound('cpu/rt', cpuPerOperationUs(w) / cpuPerOperationUs(base), '≤', TARGETS.roundTripCpuRatioMax),
      bound('msg/s', perSecond(w) / perSecond(base), '≥', TARGETS.roundTripRateRatioMin),
      bound('p99', w.latency.p99Ms / base.latency.p99Ms, '≤', TARGETS.roundTripP99RatioMax)
    ]
    const commands = redisCommandsPerOperation(w)
    if (commands !== undefined) {
      parts.push(bound('Redis commands/rt', commands, '≤', TARGETS.redisCommandsPerRoundTripMax, commands.toFixed(4)))
    }
    const note = generatorBound(base, 'msg/s')
    const redisRatio = (cpuWithRedisPerOperationUs(w) / cpuPerOperationUs(base)).toFixed(2)
    const withRedis = w.redis === undefined ? '' : `; with redis-server's CPU ${redisRatio}×`
    return judged(name, [w, base], parts.every((p) => p.ok), parts.map((p) => p.text).join(', ') + withRedis + note)
  })
}

/** In-process hero-socket against bare ws on one transport. */
function inProcessChecks (hero: ServerRun, ws: ServerRun): TargetCheck[] {
  const { transport } = hero
  const checks = roundTripChecks('', hero, ws)
  if (hero.handshakes !== undefined && ws.handshakes !== undefined) {
    const w = hero.handshakes.window
    const base = ws.handshakes.window
    const rate = perSecond(w) / perSecond(base)
    const rateDetail = `rate ${rate.toFixed(2)}× (≥ ${TARGETS.handshakeRateRatioMin.toFixed(2)})` +
      generatorBound(base, 'rate')
    checks.push(judged(`handshakes ${transport}`, [w, base], rate >= TARGETS.handshakeRateRatioMin, rateDetail))
    const cost = [
      bound('cpu/hs', cpuPerOperationUs(w) / cpuPerOperationUs(base), '≤', TARGETS.handshakeCostCpuRatioMax),
      bound('rate', rate, '≥', TARGETS.handshakeCostRateRatioMin)
    ]
    checks.push(judged(`handshake cost ${transport}`, [w, base], cost.every((p) => p.ok),
      `${cost.map((p) => p.text).join(', ')}; ${num(cpuPerOperationUs(w), 0)} vs ` +
        `${num(cpuPerOperationUs(base), 0)} µs per cycle (connect to close complete)${generatorBound(base, 'rate')}`))
  } else checks.push(missing(`handshakes ${transport}`), missing(`handshake cost ${transport}`))
  if (hero.idle !== undefined && ws.idle !== undefined) {
    const extra = hero.idle.rssPerConnection - ws.idle.rssPerConnection
    checks.push({
      name: `idle memory ${transport}`,
      pass: extra <= TARGETS.idleExtraBytesMax,
      detail: `${kib(hero.idle.rssPerConnection)} vs ${kib(ws.idle.rssPerConnection)} per socket: ` +
        `${extra >= 0 ? '+' : '−'}${kib(Math.abs(extra))} (≤ +${kib(TARGETS.idleExtraBytesMax)})`
    })
  } else checks.push(missing(`idle memory ${transport}`))
  if (hero.logins !== undefined) {
    const { quiet, duringLogins, loopDelay } = hero.logins.result
    const p99 = duringLogins.latency.p99Ms / quiet.latency.p99Ms
    const server = loopDelay === undefined
      ? ''
      : `; server event-loop delay p99 ${ms(loopDelay.duringLogins.p99Ms)} vs ${ms(loopDelay.quiet.p99Ms)} ms`
    checks.push(judged(`logins ${transport}`, [quiet, duringLogins], p99 <= TARGETS.loginP99RatioMax,
      `round-trip p99 ${ms(duringLogins.latency.p99Ms)} ms during logins vs ${ms(quiet.latency.p99Ms)} ms without: ` +
        `${p99.toFixed(2)}× (≤ ${TARGETS.loginP99RatioMax})${server}`))
  } else checks.push(missing(`logins ${transport}`))
  return checks
}

/** hero-socket+redis against bare ws on one transport, and its revocation latency. */
function redisChecks (hero: ServerRun, ws: ServerRun | undefined): TargetCheck[] {
  const { transport } = hero
  const checks = ws === undefined ? [] : roundTripChecks('redis ', hero, ws)
  const h = hero.handshakes?.window
  const base = ws?.handshakes?.window
  if (h !== undefined && base !== undefined) {
    const rate = bound('rate', perSecond(h) / perSecond(base), '≥', TARGETS.redisHandshakeRateRatioMin)
    checks.push(judged(`redis handshakes ${transport}`, [h, base], rate.ok,
      `${rate.text}; cpu/hs ${(cpuPerOperationUs(h) / cpuPerOperationUs(base)).toFixed(2)}×, ` +
        `${(cpuWithRedisPerOperationUs(h) / cpuPerOperationUs(base)).toFixed(2)}× with redis-server's CPU; ` +
        `${num(redisCommandsPerOperation(h), 2)} Redis commands/hs (${commandMix(h)})${generatorBound(base, 'rate')}`))
  } else if (ws !== undefined) checks.push(missing(`redis handshakes ${transport}`))
  const revocation = hero.revocation?.result
  if (revocation !== undefined) {
    const everyOne = revocation.closed === revocation.sessions && revocation.errors === 0
    const p99 = revocation.latency.p99Ms
    checks.push({
      name: `revocation ${transport}`,
      pass: everyOne && p99 < TARGETS.revocationP99MsMax,
      detail: `logout on A → 4401 on B p99 ${ms(p99)} ms (< ${TARGETS.revocationP99MsMax}) ` +
        `${mark(p99 < TARGETS.revocationP99MsMax)}, p50 ${ms(revocation.latency.p50Ms)} ms, ` +
        `max ${ms(revocation.latency.maxMs)} ms; ` +
        `${revocation.closed} of ${revocation.sessions} sockets closed with 4401 ${mark(everyOne)}` +
        (revocation.lastError === undefined ? '' : ` (${revocation.lastError})`)
    })
  } else checks.push(missing(`revocation ${transport}`))
  return checks
}

/** The targets on each transport: hero-socket against bare ws, then hero-socket+redis. */
export function checkTargets (runs: readonly ServerRun[]): TargetCheck[] {
  const checks: TargetCheck[] = []
  const { find } = tableRuns(runs)
  for (const transport of new Set(runs.map((r) => r.transport))) {
    const ws = find('ws', transport)
    const hero = find('hero-socket', transport)
    if (hero !== undefined && ws !== undefined) checks.push(...inProcessChecks(hero, ws))
  }
  for (const transport of new Set(runs.map((r) => r.transport))) {
    const redis = find('hero-socket+redis', transport)
    if (redis !== undefined) checks.push(...redisChecks(redis, find('ws', transport)))
  }
  return checks
}

function mark (ok: boolean): string {
  return ok ? 'ok' : 'MISSED'
}

/** The targets as lines: `PASS  name: detail`. */
export function formatTargets (checks: readonly TargetCheck[]): string {
  const width = Math.max(0, ...checks.map((c) => c.name.length))
  const verdict = (c: TargetCheck): string => c.pass === undefined ? 'n/a ' : c.pass ? 'PASS' : 'FAIL'
  return checks.map((c) => `${verdict(c)}  ${c.name.padEnd(width)}  ${c.detail}`).join('\n')
}
