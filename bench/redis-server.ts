// The redis-server behind hero-socket+redis, one per server run: Debian's redis-server on a free
// loopback TCP port, retried on another when taken (a deployment reaches Redis over TCP, so
// hero-socket's side of that costs what it would), with no persistence, waited for with PING
// (never a fixed sleep), and stopped with the run. It is pinned to the server's core: Redis is
// part of the server side, so hero-socket+redis is one core doing all of the server's work, the
// same budget bare ws gets.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { PortInUseError, startOnFreePort, type StartOnFreePortOptions } from './free-port.js'
import { processIdOf, usedMemoryBytes } from './redis-stats.js'

/** Longest wait for a new redis-server to answer PING (ms). */
const START_TIMEOUT_MS = 10_000
const OUTPUT_LINES_KEPT = 20

export class BenchRedis {
  /** REDIS_URL for hero-socket. */
  readonly url: string
  readonly pid: number
  readonly #child: ChildProcess
  readonly #client: Redis
  readonly #output: string[]

  private constructor (url: string, child: ChildProcess, output: string[]) {
    this.url = url
    this.pid = child.pid as number
    this.#child = child
    this.#output = output
    this.#client = new Redis(url, {
      lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 20, connectionName: 'bench-runner'
    })
    this.#client.on('error', () => {}) // a failed INFO fails the run with its own message
  }

  /**
   * Starts redis-server and waits until it answers PING, on a port picked now; a port someone took
   * before redis-server could bind it is retried with another (startOnFreePort).
   * @param core the CPU core to pin it to (taskset); undefined: not pinned
   * @param ports where ports come from (tests take the first one to show the retry)
   * @throws when it cannot be started (not installed) or does not answer in time
   */
  static async start (core: number | undefined, dir: string, ports: StartOnFreePortOptions = {}): Promise<BenchRedis> {
    return await startOnFreePort(async (port) => await BenchRedis.#startOn(port, core, dir), ports)
  }

  /** One start on `port`: PortInUseError when redis-server exits because the port is taken. */
  static async #startOn (port: number, core: number | undefined, dir: string): Promise<BenchRedis> {
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--daemonize', 'no', '--loglevel', 'warning'
    ]
    // taskset execs redis-server: the pid is redis-server's either way.
    const child = core === undefined
      ? spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('taskset', ['-c', String(core), 'redis-server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    const output: string[] = []
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8')
      stream?.on('data', (text: string) => {
        output.push(...text.split('\n').filter((line) => line !== ''))
        output.splice(0, Math.max(0, output.length - OUTPUT_LINES_KEPT))
      })
    }
    const closed = once(child, 'close')
    const spawned = await Promise.race([
      once(child, 'spawn').then(() => undefined),
      once(child, 'error').then(([err]) => err as Error)
    ])
    if (spawned !== undefined) {
      throw new Error(`cannot start redis-server (${spawned.message}); install it (apt-get install redis-server) ` +
        'or leave hero-socket+redis out of BENCH_SERVERS')
    }
    const redis = new BenchRedis(`redis://127.0.0.1:${port}`, child, output)
    try {
      await redis.#waitForPing(port, closed)
    } catch (err) {
      await redis.stop()
      throw err
    }
    return redis
  }

  /** redis_version from INFO server. */
  async version (): Promise<string> {
    return /^redis_version:(\S+)/m.exec(await this.#client.info('server'))?.[1] ?? 'unknown'
  }

  /** Bytes in use (INFO memory used_memory). */
  async usedMemory (): Promise<number> {
    return usedMemoryBytes(await this.#client.info('memory'))
  }

  /** Stops the server (SIGTERM; nothing to save) and waits for its exit. */
  async stop (): Promise<void> {
    this.#client.disconnect()
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    const exited = once(this.#child, 'exit')
    this.#child.kill('SIGTERM')
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }

  /** True when this process answers PING now: a client of its own, bounded waits (the port may be someone else's). */
  async #answersPing (): Promise<boolean> {
    const probe = new Redis(this.url, {
      lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 500, commandTimeout: 500
    })
    probe.on('error', () => {})
    try {
      await probe.connect()
      return await probe.ping() === 'PONG' && processIdOf(await probe.info('server')) === this.pid
    } catch {
      return false // not listening yet
    } finally {
      probe.disconnect()
    }
  }

  /**
   * Waits until this process answers PING on `port` (INFO's process_id is ours: another server that
   * holds the port does not count), or exits: PortInUseError when it said the port is taken.
   */
  async #waitForPing (port: number, closed: Promise<unknown>): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS
    for (;;) {
      if (this.#child.exitCode !== null) {
        await closed // every line it wrote is read
        const said = this.#output.join(' | ')
        if (/address already in use/i.test(said)) throw new PortInUseError(port, said)
        throw new Error(`redis-server exited with ${this.#child.exitCode}: ${said}`)
      }
      if (await this.#answersPing()) return
      if (Date.now() > deadline) {
        const output = this.#output.join(' | ')
        throw new Error(`redis-server did not answer PING within ${START_TIMEOUT_MS / 1000} s: ${output}`)
      }
      await sleep(20)
    }
  }
}
