// The load generator's meter of one measured window: operations and their latency, the server's
// CPU time read from /proc/<pid>/stat at the window's exact edges (so the server does no extra
// work to report it), the generator's own CPU time, and the steal time of the whole machine.
import fs from 'node:fs'
import os from 'node:os'
import { execFileSync } from 'node:child_process'
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks'
import type { Latency, Window } from './messages.js'

const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
const CORES = os.cpus().length

/**
 * CPU time (user + system, all threads) of process `pid` and its descendants so far, in
 * microseconds: hero-socket hashes passwords in a child process, and that is the server's cost too.
 */
export function processCpuUs (pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15,
  // cutime 16 and cstime 17 (children that have exited and been waited for).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  let us = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1e6 / CLOCK_TICKS_PER_S
  for (const child of childPids(pid)) {
    try {
      us += processCpuUs(child)
    } catch {
      // exited meanwhile: its time is in cutime/cstime once waited for
    }
  }
  return us
}

function childPids (pid: number): number[] {
  const pids: number[] = []
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const list = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim()
      if (list !== '') pids.push(...list.split(' ').map(Number))
    } catch {
      // thread ended meanwhile, or no children file on this kernel
    }
  }
  return pids
}

/** Time the hypervisor gave the machine's CPUs to others so far ("steal", all cores), in ticks. */
function stealTicks (): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
  // cpu  user nice system idle iowait irq softirq steal …
  return Number(line.trim().split(/\s+/)[8] ?? 0)
}

function ownCpuUs (): number {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

/** p50, p99 and max of a histogram recorded in microseconds, in milliseconds (NaN when empty). */
export function latencyOf (h: RecordableHistogram): Latency {
  const count = h.count
  return count === 0
    ? { count, p50Ms: NaN, p99Ms: NaN, maxMs: NaN }
    : { count, p50Ms: h.percentile(50) / 1000, p99Ms: h.percentile(99) / 1000, maxMs: h.max / 1000 }
}

/** Records one latency of `elapsedMs` milliseconds into a histogram kept in microseconds. */
export function recordMs (h: RecordableHistogram, elapsedMs: number): void {
  h.record(Math.max(1, Math.round(elapsedMs * 1000)))
}

/** Records one latency, from `startedAt` (performance.now()) to now, into a histogram kept in microseconds. */
export function recordSince (h: RecordableHistogram, startedAt: number): void {
  recordMs(h, performance.now() - startedAt)
}

/** Counts operations and their latency between start() and stop(), with the server's CPU time. */
export class WindowMeter {
  readonly #pid: number
  readonly #histogram: RecordableHistogram = createHistogram()
  #measuring = false
  #operations = 0
  #errors = 0
  #startedAt = 0
  #serverCpu = 0
  #generatorCpu = 0
  #steal = 0
  #result: Window | undefined

  constructor (serverPid: number) {
    this.#pid = serverPid
  }

  get stopped (): boolean { return this.#result !== undefined }

  /** Operations recorded so far in the window. */
  get operations (): number { return this.#operations }

  start (): void {
    this.#serverCpu = processCpuUs(this.#pid)
    this.#generatorCpu = ownCpuUs()
    this.#steal = stealTicks()
    this.#startedAt = performance.now()
    this.#measuring = true
  }

  /** An operation begun at `startedAt` (performance.now()) has just finished. */
  record (startedAt: number): void {
    if (!this.#measuring) return
    this.#operations++
    recordSince(this.#histogram, startedAt)
  }

  error (): void { this.#errors++ }

  stop (): Window {
    const seconds = (performance.now() - this.#startedAt) / 1000
    this.#measuring = false
    this.#result = {
      operations: this.#operations,
      seconds,
      serverCpuUs: processCpuUs(this.#pid) - this.#serverCpu,
      generatorCpuUs: ownCpuUs() - this.#generatorCpu,
      stealPercent: (stealTicks() - this.#steal) / CLOCK_TICKS_PER_S / seconds / CORES * 100,
      latency: latencyOf(this.#histogram),
      errors: this.#errors
    }
    return this.#result
  }
}
