// The runner's handle on a benchmark server process: the server says where it listens, reports
// its memory after a full GC when asked, records a CPU profile of one workload when asked,
// measures its event-loop delay over a window when asked, and stops on request or when the
// runner goes away.
import fs from 'node:fs'
import { Session } from 'node:inspector/promises'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { ListeningMessage, LoopDelayMessage, MemoryMessage, ProfileMessage, ServerCommand } from './messages.js'

/** Period of the event-loop delay timer (ms); a timer run this late is on time. */
const LOOP_DELAY_PERIOD_MS = 1

/** TLS settings every benchmark server reads: BENCH_TLS=on|off, BENCH_CERT_FILE, BENCH_KEY_FILE. */
export function benchTls (env: NodeJS.ProcessEnv = process.env): { cert: string, key: string } | undefined {
  if (env.BENCH_TLS !== 'on') return undefined
  return {
    cert: fs.readFileSync(env.BENCH_CERT_FILE ?? '', 'utf8'),
    key: fs.readFileSync(env.BENCH_KEY_FILE ?? '', 'utf8')
  }
}

/**
 * Tells the runner the server listens on `port` and serves its commands.
 * @param stop closes the server; the process exits after it
 */
export function serveControl (port: number, stop: () => Promise<void>): void {
  const send = (message: ListeningMessage | MemoryMessage | ProfileMessage | LoopDelayMessage): void => {
    process.send?.(message)
  }
  let profiler: Session | undefined
  let loopDelay: IntervalHistogram | undefined
  process.on('message', (command: ServerCommand) => {
    if (command.type === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc
      // Twice: the first pass may only queue finalizers that free native memory.
      gc?.()
      gc?.()
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage()
      send({ type: 'memory', rss, heapUsed, external, arrayBuffers })
    } else if (command.type === 'profile-start') {
      profiler = new Session()
      profiler.connect()
      const session = profiler
      void session.post('Profiler.enable')
        .then(() => session.post('Profiler.setSamplingInterval', { interval: 100 }))
        .then(() => session.post('Profiler.start'))
        .then(() => send({ type: 'profile', state: 'started' }))
    } else if (command.type === 'profile-stop' && profiler !== undefined) {
      const session = profiler
      profiler = undefined
      void session.post('Profiler.stop').then(({ profile }) => {
        fs.writeFileSync(command.file, JSON.stringify(profile))
        session.disconnect()
        send({ type: 'profile', state: 'written' })
      })
    } else if (command.type === 'loop-delay-start') {
      loopDelay?.disable()
      loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_PERIOD_MS })
      loopDelay.enable()
    } else if (command.type === 'loop-delay-stop' && loopDelay !== undefined) {
      const h = loopDelay
      loopDelay = undefined
      h.disable()
      const late = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_DELAY_PERIOD_MS)
      const p50Ms = late(h.percentile(50))
      send({ type: 'loop-delay', p50Ms, p99Ms: late(h.percentile(99)), maxMs: late(h.max), samples: h.count })
    } else if (command.type === 'stop') {
      const timer = setTimeout(() => process.exit(0), 5000)
      timer.unref()
      void stop().finally(() => process.exit(0))
    }
  })
  process.on('disconnect', () => process.exit(0))
  send({ type: 'listening', port, pid: process.pid })
}
