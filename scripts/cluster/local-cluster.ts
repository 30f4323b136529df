// The programs of npm run cluster, all in one temp folder and on loopback: redis-server on
// deploy/redis/redis.conf (on a unix socket), an account made with the users CLI, two instances
// from deploy/instance.env (plain HTTP, TRUSTED_PROXIES=127.0.0.1, as deployed), nginx on
// deploy/nginx/hero-socket.conf ending TLS. Started in that order, stopped in the reverse one.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PACKAGE_ROOT } from '../../src/config/package-root.js'
import { ClusterChild, describe } from './cluster-child.js'
import { portInUse, type Credentials } from './cluster-settings.js'
import { instanceEnv } from './instance-env.js'
import { NGINX, nginxArgs, nginxMainConf, renderDeployConf } from './nginx-conf.js'
import { renderDeployRedisConf, writeSecretFile } from './redis-conf.js'

const SERVER = path.join(PACKAGE_ROOT, 'dist', 'src', 'server.js')
const USERS_CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'users-cli.js')
/** The account the cluster makes (outside the development defaults no demo account is made). */
export const CLUSTER_USERNAME = 'hero'

/** What a person needs to use the cluster. */
export interface ClusterAccess {
  /** nginx's URL, the one to open. */
  readonly url: string
  readonly username: string
  readonly password: string
  /** Each instance's operators' listener (/metrics asks for the token in `metricsTokenFile`). */
  readonly metricsUrls: readonly string[]
  readonly metricsTokenFile: string
}

/** A local cluster in its temp folder. */
export class LocalCluster {
  /** The temp folder: configuration, secrets, users file, data, sockets and logs. */
  readonly dir: string
  readonly #children: ClusterChild[] = []
  #stopping = false
  #fail: (sentence: string) => void = () => {}
  /** Resolves with a sentence when one of its programs ends while the cluster runs. */
  readonly failed: Promise<string>

  constructor () {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-cluster-'))
    fs.mkdirSync(path.join(this.dir, 'logs'))
    this.failed = new Promise((resolve) => { this.#fail = resolve })
  }

  /** Starts everything, nginx on 127.0.0.1:`port` serving `credentials`; resolves once it all answers. */
  async start (port: number, credentials: Credentials): Promise<ClusterAccess> {
    const redisEnv = await this.#startRedis()
    const { username, password } = await this.#addUser()
    const metricsTokenFile = path.join(this.dir, 'metrics-token')
    writeSecretFile(metricsTokenFile, randomBytes(24).toString('base64url'))
    const origins = [`https://localhost:${port}`, `https://127.0.0.1:${port}`].join(',')
    const instances = await Promise.all([1, 2].map(async (i) => await this.#startInstance(i, {
      ...redisEnv,
      ALLOWED_ORIGINS: origins,
      METRICS_PORT: '0',
      METRICS_TOKEN_FILE: metricsTokenFile
    })))
    const [first, second] = instances
    if (first === undefined || second === undefined) throw new Error('two instances expected')
    await this.#startNginx(port, [first.port, second.port], credentials)
    return {
      url: `https://localhost:${port}`,
      username,
      password,
      metricsUrls: instances.map(({ metricsUrl }) => `${metricsUrl}/metrics`),
      metricsTokenFile
    }
  }

  /** Spawns one program, watched: its end while the cluster runs fails the cluster. */
  #spawn (name: string, command: string, args: readonly string[], env: Record<string, string> = {}): ClusterChild {
    const child = new ClusterChild(name, command, args, {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? this.dir, ...env },
      logFile: path.join(this.dir, 'logs', `${name.replace(/ /g, '-')}.log`)
    })
    this.#children.push(child)
    void child.ended.then((ending) => {
      if (this.#stopping) return
      const lastLines = child.lastLines().slice(-5).map((line) => `\n  ${name}: ${line}`).join('')
      this.#fail(`${name} exited unexpectedly (${describe(ending)}), so the cluster stopped the rest.${lastLines}`)
    })
    return child
  }

  /** redis-server on the shipped redis.conf, on a unix socket; the instances' REDIS_* variables. */
  async #startRedis (): Promise<Record<string, string>> {
    const password = randomBytes(24).toString('base64url')
    const passwordFile = path.join(this.dir, 'redis-password')
    writeSecretFile(passwordFile, password)
    const configFile = path.join(this.dir, 'redis.conf')
    fs.writeFileSync(configFile, renderDeployRedisConf(password), { mode: 0o600 })
    const socket = path.join(this.dir, 'redis.sock')
    // A unix socket instead of the shipped port 6379: no clash with a Redis the machine runs.
    const redis = this.#spawn('redis-server', 'redis-server', [
      configFile, '--port', '0', '--unixsocket', socket, '--unixsocketperm', '700',
      '--dir', this.dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'
    ])
    await redis.waitForOutput(/ready to accept connections/i, 'accepting connections')
    return { REDIS_URL: socket, REDIS_PASSWORD_FILE: passwordFile }
  }

  /**
   * The cluster's account, made with the users CLI (its password piped on stdin). Lasting
   * (--permanent), unlike an issued password: it lives only as long as the cluster, whose folder
   * (and users file) is removed when it stops.
   */
  async #addUser (): Promise<{ username: string, password: string }> {
    const password = randomBytes(18).toString('base64url')
    const cli = spawn(process.execPath, [USERS_CLI, 'add', CLUSTER_USERNAME, '--permanent'], {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', USERS_FILE: this.#usersFile },
      stdio: ['pipe', 'ignore', 'pipe']
    })
    let stderr = ''
    cli.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text })
    cli.stdin.end(password)
    const code = await new Promise((resolve) => cli.once('close', resolve))
    if (code !== 0) {
      throw new Error(`the users CLI could not add ${CLUSTER_USERNAME} (code ${String(code)}): ${stderr.trim()}`)
    }
    return { username: CLUSTER_USERNAME, password }
  }

  get #usersFile (): string {
    return path.join(this.dir, 'users.json')
  }

  /** Instance `i` from deploy/instance.env with `env` over it, on a free port; its ports once it listens. */
  async #startInstance (i: number, env: Record<string, string>): Promise<{ port: number, metricsUrl: string }> {
    const instance = this.#spawn(`instance ${i}`, process.execPath, [SERVER], {
      ...instanceEnv(),
      ...env,
      PORT: '0',
      USERS_FILE: this.#usersFile,
      DATA_DIR: path.join(this.dir, `data-${i}`)
    })
    const listening = await instance.waitForOutput(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/, 'listening')
    await instance.waitForOutput(/"allowed origins"/, 'the end of its start-up')
    const operators = await instance.waitForOutput(/"event":"operators_listening","url":"([^"]+)"/, 'its metrics')
    return { port: Number(listening[1]), metricsUrl: operators[1] ?? '' }
  }

  /** nginx on the shipped hero-socket.conf, in front of the instances on `upstreams`; resolves once it holds `port`. */
  async #startNginx (port: number, upstreams: [number, number], credentials: Credentials): Promise<void> {
    const certFile = path.join(this.dir, 'cert.pem')
    const keyFile = path.join(this.dir, 'key.pem')
    fs.writeFileSync(certFile, credentials.cert)
    fs.writeFileSync(keyFile, credentials.key, { mode: 0o600 })
    fs.writeFileSync(path.join(this.dir, 'hero-socket.conf'), renderDeployConf(port, upstreams, certFile, keyFile))
    fs.writeFileSync(path.join(this.dir, 'nginx.conf'), nginxMainConf(this.dir))
    const nginx = this.#spawn('nginx', NGINX, nginxArgs(this.dir))
    const pidFile = path.join(this.dir, 'nginx.pid')
    const deadline = Date.now() + 10_000
    while (readIfThere(pidFile).trim() !== String(nginx.process.pid)) {
      if (!nginx.running) {
        await nginx.ended
        const said = `${nginx.lastLines().join(' ')} ${readIfThere(path.join(this.dir, 'error.log'))}`
        throw /Address already in use/i.test(said) ? portInUse(port) : new Error(`nginx exited: ${said.trim()}`)
      }
      if (Date.now() > deadline) throw new Error('nginx did not start within 10 s')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /** Stops everything in order (the instances drain first), then removes the folder. */
  async stop (): Promise<void> {
    this.#stopping = true
    const named = (prefix: string): ClusterChild[] => this.#children.filter(({ name }) => name.startsWith(prefix))
    await Promise.all(named('instance').map(async (child) => await child.stop('SIGTERM', 30_000)))
    for (const child of [...named('nginx'), ...named('redis-server')]) await child.stop()
    fs.rmSync(this.dir, { recursive: true, force: true })
  }

  /** The last resort as the process exits: SIGKILL what still runs, remove the folder. Synchronous. */
  killNow (): void {
    this.#stopping = true
    for (const child of this.#children) child.killNow()
    fs.rmSync(this.dir, { recursive: true, force: true })
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
