// A real redis-server (Debian's, installed by .ci/run) for one test: on a unix socket in a temp
// folder (or a free TCP port on loopback, another one when it is taken, plain or TLS only), with
// no persistence, from a redis.conf with its users when asked (the test's own clients then log in
// as its admin), waited for with PING (never a fixed sleep), and stopped at teardown. Faults are
// made for real: stop() and start() again
// (an empty Redis, as after a crash), pause() and resume() (SIGSTOP, SIGCONT).
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { PortInUseError, startOnFreePort, type PortPicker } from '../../bench/free-port.js'
import { processIdOf } from '../../bench/redis-stats.js'
import type { Teardown } from './test-server.js'

export interface RedisServerOptions {
  /**
   * Listen on a loopback TCP port instead of a unix socket (for processes that need a URL): picked
   * at the first start, and picked again when redis-server finds it taken (startOnFreePort).
   */
  readonly tcp?: boolean
  /** Where TCP ports come from (tests take the first one to show the retry); default freeLoopbackPort. */
  readonly pickPort?: PortPicker
  /** TLS only, on a loopback port (rediss://127.0.0.1:<port>): the server's PEM files and the CA clients trust. */
  readonly tls?: { readonly certFile: string, readonly keyFile: string, readonly caFile: string }
  /** A redis.conf to start from (its users included); the helper's own settings come after it. */
  readonly configFile?: string
  /** The user the test's own clients log in as (when the configuration turns `default` off). */
  readonly admin?: { readonly username: string, readonly password: string }
}

/** Lines of redis-server's output kept, to say why it exited. */
const OUTPUT_LINES_KEPT = 20

/** One redis-server process and how to reach it. */
export class RedisServer {
  readonly #dir: string
  readonly #args: string[]
  readonly #socket: string | undefined
  readonly #pickPort: PortPicker | undefined
  /** TLS only: its files (the port then speaks TLS, and the URL is rediss://). */
  readonly #tls: RedisServerOptions['tls']
  /** How the test's own clients connect: the admin user, the CA. */
  readonly #clientOptions: RedisOptions
  /** The TCP port, once a start has bound one (kept for restarts, so the URL stays). */
  #port: number | undefined
  #process: ChildProcess | undefined

  private constructor (dir: string, args: string[], socket: string | undefined, options: RedisServerOptions) {
    this.#dir = dir
    this.#args = args
    this.#socket = socket
    this.#pickPort = options.pickPort
    this.#tls = options.tls
    const admin: RedisOptions = options.admin ?? {}
    this.#clientOptions = options.tls === undefined
      ? admin
      : {
          ...admin,
          tls: { ca: fs.readFileSync(options.tls.caFile, 'utf8') }
        }
  }

  /** REDIS_URL for the app: the socket path, or redis[s]://127.0.0.1:<port> (over TCP, known once started). */
  get url (): string {
    if (this.#socket !== undefined) return this.#socket
    if (this.#port === undefined) throw new Error('a TCP redis-server has its URL once started')
    return this.#urlOn(this.#port)
  }

  #urlOn (port: number): string {
    return `${this.#tls === undefined ? 'redis' : 'rediss'}://127.0.0.1:${port}`
  }

  /** The arguments that put the server on `port`: plain, or TLS only. */
  #portArgs (port: number): string[] {
    if (this.#tls === undefined) return ['--port', String(port)]
    const { certFile, keyFile, caFile } = this.#tls
    return [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--tls-cert-file',
      certFile,
      '--tls-key-file',
      keyFile,
      '--tls-ca-cert-file',
      caFile,
      '--tls-auth-clients',
      'no'
    ]
  }

  /** Starts a new server; stopped at `t`'s teardown. */
  static async start (t: Teardown, options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = await RedisServer.create(t, options)
    await server.startProcess()
    return server
  }

  /** A server not started yet (on a unix socket, its url is known): start it with startProcess(). */
  static async create (t: Teardown, options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-redis-'))
    const common = [
      ...(options.configFile === undefined ? [] : [options.configFile]),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning'
    ]
    const socket = options.tcp === true || options.tls !== undefined ? undefined : path.join(dir, 'redis.sock')
    // --port 0: no TCP at all, only the socket.
    const args = socket === undefined
      ? [...common, '--bind', '127.0.0.1']
      : [
          ...common,
          '--port',
          '0',
          '--unixsocket',
          socket,
          '--unixsocketperm',
          '700'
        ]
    const server = new RedisServer(dir, args, socket, options)
    t.teardown(async () => {
      await server.stop()
      fs.rmSync(dir, { recursive: true, force: true })
    })
    return server
  }

  get pid (): number | undefined {
    return this.#process?.pid
  }

  /**
   * Starts the process again (empty: nothing is persisted) and waits until it answers PING. Over
   * TCP, the first start picks the port (another when it is taken); a restart keeps it.
   */
  async startProcess (): Promise<void> {
    if (this.#process !== undefined) throw new Error('redis-server is already running')
    if (this.#socket !== undefined || this.#port !== undefined) {
      await this.#spawn(this.#port)
      return
    }
    this.#port = await startOnFreePort(async (port) => {
      await this.#spawn(port)
      return port
    }, { ...(this.#pickPort === undefined ? {} : { pickPort: this.#pickPort }) })
  }

  /** One start (on `port` over TCP); PortInUseError when redis-server exits because it is taken. */
  async #spawn (port: number | undefined): Promise<void> {
    const args = port === undefined ? this.#args : [...this.#args, ...this.#portArgs(port)]
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const output: string[] = []
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8').on('data', (text: string) => {
        output.push(...text.split('\n').filter((line) => line !== ''))
        output.splice(0, Math.max(0, output.length - OUTPUT_LINES_KEPT))
      })
    }
    const closed = new Promise((resolve) => child.once('close', resolve))
    this.#process = child
    child.once('exit', () => { if (this.#process === child) this.#process = undefined })
    const url = port === undefined ? this.url : this.#urlOn(port)
    const exited = async (): Promise<Error> => {
      await closed // every line it wrote is read
      const said = output.join(' | ')
      if (port !== undefined && /address already in use/i.test(said)) return new PortInUseError(port, said)
      return new Error(`redis-server exited with ${child.exitCode}: ${said}`)
    }
    await waitForOwnPing(url, this.#clientOptions, child, exited)
  }

  /** Stops the process (SIGKILL when `crash`, as a crash would), waiting for its exit. */
  async stop (crash = false): Promise<void> {
    const child = this.#process
    if (child === undefined) return
    this.#process = undefined
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try { process.kill(child.pid ?? 0, 'SIGCONT') } catch {}
    child.kill(crash ? 'SIGKILL' : 'SIGTERM')
    await exited
  }

  /** SIGSTOP: the process holds its connections and answers nothing. */
  pause (): void {
    this.#signal('SIGSTOP')
  }

  /** SIGCONT after pause(). */
  resume (): void {
    this.#signal('SIGCONT')
  }

  /** A client of this server, for the test's own commands; disconnected at teardown. */
  client (t: Teardown): Redis {
    const client = connect(this.url, this.#clientOptions)
    client.on('error', () => {})
    t.teardown(() => client.disconnect())
    return client
  }

  /** Waits until PING answers PONG (at most `timeoutMs`). */
  async waitUntilAnswering (timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!await answersPing(this.url, this.#clientOptions)) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING within ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  #signal (signal: NodeJS.Signals): void {
    const pid = this.#process?.pid
    if (pid === undefined) throw new Error('redis-server is not running')
    process.kill(pid, signal)
  }
}

function connect (url: string, options: RedisOptions = {}): Redis {
  return url.startsWith('/') ? new Redis({ ...options, path: url }) : new Redis(url, options)
}

/** True when the server at `url` answers PING now (and, given `pid`, is that process: INFO's process_id). */
async function answersPing (url: string, options: RedisOptions, pid?: number): Promise<boolean> {
  const client = connect(
    url,
    {
      ...options,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 500,
      commandTimeout: 500,
      lazyConnect: true
    }
  )
  client.on('error', () => {})
  try {
    await client.connect()
    if (await client.ping() !== 'PONG') return false
    return pid === undefined || processIdOf(await client.info('server')) === pid
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

/**
 * Waits until `child` answers PING at `url` (a server of another test holding the same port does
 * not count), at most 10 s; rejects with what `exited` makes of it if the process ends first.
 */
async function waitForOwnPing (
  url: string,
  options: RedisOptions,
  child: ChildProcess,
  exited: () => Promise<Error>
): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!await answersPing(url, options, child.pid)) {
    if (child.exitCode !== null || child.signalCode !== null) throw await exited()
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error('redis-server did not answer PING within 10000 ms')
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
