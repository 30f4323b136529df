// A real redis-server (Debian's, installed by .ci/run) for one test: on a unix socket in a temp
// folder (or a free TCP port on loopback, or TLS only on one, from a redis.conf with its users
// when asked: the test's own clients then log in as its admin), with no persistence, waited for with PING (never a
// fixed sleep), and stopped at teardown. Faults are made for real: stop() and start() again
// (an empty Redis, as after a crash), pause() and resume() (SIGSTOP, SIGCONT).
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { freeLoopbackPort } from '../../bench/free-port.js'
import type { Teardown } from './test-server.js'

export interface RedisServerOptions {
  /** Listen on a free loopback TCP port instead of a unix socket (for processes that need a URL). */
  readonly tcp?: boolean
  /** TLS only, on a free loopback port (rediss://127.0.0.1:<port>): the server's PEM files and the CA clients trust. */
  readonly tls?: { readonly certFile: string, readonly keyFile: string, readonly caFile: string }
  /** A redis.conf to start from (its users included); the helper's own settings come after it. */
  readonly configFile?: string
  /** The user the test's own clients log in as (when the configuration turns `default` off). */
  readonly admin?: { readonly username: string, readonly password: string }
}

/** One redis-server process and how to reach it. */
export class RedisServer {
  /** REDIS_URL for the app: the socket path, or redis://127.0.0.1:<port>. */
  readonly url: string
  readonly #dir: string
  readonly #args: string[]
  /** How the test's own clients connect: the admin user, the CA. */
  readonly #clientOptions: RedisOptions
  #process: ChildProcess | undefined

  private constructor (dir: string, url: string, args: string[], clientOptions: RedisOptions = {}) {
    this.#dir = dir
    this.url = url
    this.#args = args
    this.#clientOptions = clientOptions
  }

  /** Starts a new server; stopped at `t`'s teardown. */
  static async start (t: Teardown, options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = await RedisServer.create(t, options)
    await server.startProcess()
    return server
  }

  /** A server not started yet (its url is known): start it with startProcess(). */
  static async create (t: Teardown, options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-redis-'))
    const common = [...(options.configFile === undefined ? [] : [options.configFile]), '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning']
    const clientOptions: RedisOptions = options.admin ?? {}
    let server: RedisServer
    if (options.tls !== undefined) {
      const port = await freeLoopbackPort()
      const { certFile, keyFile, caFile } = options.tls
      const tls = ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', certFile, '--tls-key-file', keyFile, '--tls-ca-cert-file', caFile, '--tls-auth-clients', 'no']
      server = new RedisServer(dir, `rediss://127.0.0.1:${port}`, [...common, ...tls], { ...clientOptions, tls: { ca: fs.readFileSync(caFile, 'utf8') } })
    } else if (options.tcp === true) {
      const port = await freeLoopbackPort()
      server = new RedisServer(dir, `redis://127.0.0.1:${port}`, [...common, '--port', String(port), '--bind', '127.0.0.1'], clientOptions)
    } else {
      const socket = path.join(dir, 'redis.sock')
      // --port 0: no TCP at all, only the socket.
      server = new RedisServer(dir, socket, [...common, '--port', '0', '--unixsocket', socket, '--unixsocketperm', '700'], clientOptions)
    }
    t.teardown(async () => {
      await server.stop()
      fs.rmSync(dir, { recursive: true, force: true })
    })
    return server
  }

  get pid (): number | undefined {
    return this.#process?.pid
  }

  /** Starts the process again (empty: nothing is persisted) and waits until it answers PING. */
  async startProcess (): Promise<void> {
    if (this.#process !== undefined) throw new Error('redis-server is already running')
    const child = spawn('redis-server', this.#args, { stdio: ['ignore', 'ignore', 'inherit'] })
    this.#process = child
    child.once('exit', () => { if (this.#process === child) this.#process = undefined })
    await this.waitUntilAnswering()
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
    for (;;) {
      const client = connect(this.url, { ...this.#clientOptions, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 500, lazyConnect: true })
      client.on('error', () => {})
      try {
        await client.connect()
        if (await client.ping() === 'PONG') return
      } catch {
        // not yet
      } finally {
        client.disconnect()
      }
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
