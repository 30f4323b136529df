// The load generator's view of the redis-server behind hero-socket+redis over one window: its CPU
// time (from /proc/<pid>/stat, like the server's) and the commands it ran (INFO commandstats before
// and after). The generator's own INFO calls are left out of both.
import { Redis } from 'ioredis'
import type { RedisWindow } from './messages.js'
import { commandsBetween, parseCommandStats } from './redis-stats.js'
import { processCpuUs } from './window-meter.js'

/** Longest wait for one INFO answer (ms). */
const INFO_TIMEOUT_MS = 5000

const clients = new Map<string, Redis>()

/** One client per redis-server, kept for the generator's life (it reads INFO twice a window). */
function clientFor (url: string): Redis {
  let client = clients.get(url)
  if (client === undefined) {
    client = new Redis(url, {
      commandTimeout: INFO_TIMEOUT_MS, maxRetriesPerRequest: 1, connectionName: 'bench-load-generator'
    })
    client.on('error', () => {}) // a failed INFO fails the task with its own message
    clients.set(url, client)
  }
  return client
}

/** Measures one redis-server over a window: call begin() just before it opens, end() just after it closes. */
export class RedisWindowMeter {
  readonly #client: Redis
  readonly #pid: number
  #commands = new Map<string, number>()
  #cpuUs = 0

  constructor (redis: { readonly url: string, readonly pid: number }) {
    this.#client = clientFor(redis.url)
    this.#pid = redis.pid
  }

  /** Snapshots the commands, then the CPU time (so this INFO is not in the window's CPU). */
  async begin (): Promise<void> {
    this.#commands = parseCommandStats(await this.#client.info('commandstats'))
    this.#cpuUs = processCpuUs(this.#pid)
  }

  /** The CPU time first (so this INFO is not in it), then the commands since begin(). */
  async end (): Promise<RedisWindow> {
    const cpuUs = processCpuUs(this.#pid) - this.#cpuUs
    const commands = commandsBetween(this.#commands, parseCommandStats(await this.#client.info('commandstats')))
    return { cpuUs, ...commands }
  }
}
