// Debian's nginx (installed by .ci/run) running deploy/nginx/hero-socket.conf for one test, rendered
// as npm run cluster renders it (scripts/cluster/nginx-conf.ts): the lines marked "test:" pointed at
// the test's own ports and certificate, every file nginx writes in a temp folder. nginx
// cannot listen on port 0: its port is picked, and picked again when nginx finds it taken.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PortInUseError, startOnFreePort, type PortPicker } from '../../bench/free-port.js'
import { NGINX, nginxArgs, nginxMainConf, renderDeployConf } from '../../scripts/cluster/nginx-conf.js'
import { testCredentials, type Teardown } from './test-server.js'

export interface NginxOptions {
  /**
   * The instances' ports, in the order of the upstream's servers. Left out, nginx starts with no
   * instance (every request 502) until route() names them: nginx can then bind its port, which
   * the instances' ALLOWED_ORIGINS must name, before they start on ports of their own choosing.
   */
  readonly upstreams?: readonly [number, number]
  /** Where nginx's port comes from (tests take the first one to show the retry); default freeLoopbackPort. */
  readonly pickPort?: PortPicker
  /** nginx's certificate and key (PEM); default: the one the tests' CA signed (test-ca.ts). */
  readonly credentials?: { readonly cert: string, readonly key: string }
}

/** A running nginx; stopped at teardown. */
export class Nginx {
  readonly url: string
  readonly port: number
  readonly dir: string
  readonly #process: ChildProcess
  readonly #stderr: () => string

  private constructor (port: number, dir: string, child: ChildProcess, stderr: () => string) {
    this.url = `https://127.0.0.1:${port}`
    this.port = port
    this.dir = dir
    this.#process = child
    this.#stderr = stderr
  }

  /**
   * Starts nginx with the deployment file on a port of its own (another one when nginx finds it
   * taken) and waits until it answers over TLS (with `upstreams`, until /healthz answers 200).
   */
  static async start (t: Teardown, options: NginxOptions = {}): Promise<Nginx> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-nginx-'))
    const stops: Array<() => Promise<void>> = []
    t.teardown(async () => {
      for (const stop of stops) await stop()
      fs.rmSync(dir, { recursive: true, force: true })
    })
    const { cert, key } = options.credentials ?? await testCredentials()
    fs.writeFileSync(path.join(dir, 'cert.pem'), cert)
    fs.writeFileSync(path.join(dir, 'key.pem'), key, { mode: 0o600 })
    fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxMainConf(dir))
    const nginx = await startOnFreePort(
      async (port) => await Nginx.#startOn(stops, dir, port, options.upstreams),
      options.pickPort === undefined ? {} : { pickPort: options.pickPort }
    )
    if (options.upstreams === undefined) await nginx.#waitUntil((status) => status > 0, 'any answer')
    else await nginx.#waitUntil((status) => status === 200, '/healthz 200')
    return nginx
  }

  /**
   * One start on `port`: resolves once nginx holds it (it wrote its pid file), PortInUseError when
   * taken. Adds how to stop this process to `stops` (run at teardown, before the folder goes).
   */
  static async #startOn (
    stops: Array<() => Promise<void>>,
    dir: string,
    port: number,
    upstreams: readonly [number, number] | undefined
  ): Promise<Nginx> {
    fs.writeFileSync(
      path.join(dir, 'hero-socket.conf'),
      renderDeployConf(port, upstreams, path.join(dir, 'cert.pem'), path.join(dir, 'key.pem'))
    )
    fs.rmSync(path.join(dir, 'nginx.pid'), { force: true })
    fs.writeFileSync(path.join(dir, 'error.log'), '')
    const child = spawn(
      NGINX,
      nginxArgs(dir),
      { stdio: ['ignore', 'ignore', 'pipe'] }
    )
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    stops.push(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await exited
    })
    const nginx = new Nginx(port, dir, child, () => `${stderr} ${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`)
    await nginx.#waitUntilBound(port, exited)
    return nginx
  }

  /**
   * Points the upstream at the instances' ports: rewrites the file, reloads nginx (SIGHUP: same
   * port, new workers) and waits until /healthz answers 200 through them.
   */
  async route (upstreams: readonly [number, number]): Promise<void> {
    fs.writeFileSync(
      path.join(this.dir, 'hero-socket.conf'),
      renderDeployConf(this.port, upstreams, path.join(this.dir, 'cert.pem'), path.join(this.dir, 'key.pem'))
    )
    this.#process.kill('SIGHUP')
    await this.#waitUntil((status) => status === 200, '/healthz 200 through the instances')
  }

  /**
   * Waits until nginx has bound its port: its master writes the pid file only after opening every
   * listening socket (an answer on the port could come from whoever holds it). nginx tries a bind
   * five times, half a second apart, then exits: PortInUseError when its log says the port was taken.
   */
  async #waitUntilBound (port: number, exited: Promise<unknown>, timeoutMs = 10_000): Promise<void> {
    const pidFile = path.join(this.dir, 'nginx.pid')
    const deadline = Date.now() + timeoutMs
    while (readIfThere(pidFile).trim() !== String(this.#process.pid)) {
      if (this.#process.exitCode !== null) {
        await exited
        const said = this.#stderr()
        throw /Address already in use/i.test(said) ? new PortInUseError(port, said) : new Error(`nginx exited: ${said}`)
      }
      if (Date.now() > deadline) throw new Error(`nginx did not bind within ${timeoutMs} ms: ${this.#stderr()}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /** Waits until GET /healthz through nginx answers a status `ok` accepts (0: no answer yet). */
  async #waitUntil (ok: (status: number) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.#process.exitCode !== null) throw new Error(`nginx exited: ${this.#stderr()}`)
      const status = await fetch(`${this.url}/healthz`).then((res) => res.status, () => 0)
      if (ok(status)) return
      if (Date.now() > deadline) {
        throw new Error(`nginx did not answer ${what} within ${timeoutMs} ms (last: ` +
        `${status}): ${this.#stderr()}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

/** The file's text, or '' while it does not exist. */
function readIfThere (file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
