// Debian's nginx (installed by .ci/run) running deploy/nginx/hero-socket.conf for one test: the
// deployment file as shipped, with only the lines marked "test:" pointed at the test's own ports
// and certificate, inside a main configuration that keeps every file in a temp folder.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT } from './http.js'
import { testCredentials, type Teardown } from './test-server.js'

/** nginx's binary: on PATH, or where Debian puts it. */
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((file) => fs.existsSync(file)) ?? 'nginx'

export const DEPLOY_CONF = path.join(ROOT, 'deploy', 'nginx', 'hero-socket.conf')

export interface NginxOptions {
  /** Loopback port nginx listens on (TLS). */
  readonly port: number
  /** The instances' ports, in the order of the upstream's servers. */
  readonly upstreams: readonly [number, number]
  /** nginx's certificate and key (PEM); default: the tests' ECDSA development certificate. */
  readonly credentials?: { readonly cert: string, readonly key: string }
}

/** The deployment file with its "test:" lines set for this run. */
export function renderDeployConf (options: NginxOptions, certFile: string, keyFile: string): string {
  const text = fs.readFileSync(DEPLOY_CONF, 'utf8')
  const replacements: ReadonlyArray<[RegExp, string]> = [
    [/^(\s*)server 127\.0\.0\.1:\d+ (.*)# test: instance 1$/m, `$1server 127.0.0.1:${options.upstreams[0]} $2`],
    [/^(\s*)server 127\.0\.0\.1:\d+ (.*)# test: instance 2$/m, `$1server 127.0.0.1:${options.upstreams[1]} $2`],
    [/^(\s*)listen \d+ ssl;\s*# test: listen$/m, `$1listen 127.0.0.1:${options.port} ssl;`],
    [/^(\s*)ssl_certificate\s+\S+;\s*# test: certificate$/m, `$1ssl_certificate ${certFile};`],
    [/^(\s*)ssl_certificate_key\s+\S+;\s*# test: key$/m, `$1ssl_certificate_key ${keyFile};`]
  ]
  let rendered = text
  for (const [pattern, replacement] of replacements) {
    if (!pattern.test(rendered)) throw new Error(`${DEPLOY_CONF} has no line matching ${String(pattern)}`)
    rendered = rendered.replace(pattern, replacement)
  }
  return rendered
}

/** A running nginx; stopped at teardown. */
export class Nginx {
  readonly url: string
  readonly dir: string
  readonly #process: ChildProcess

  private constructor (url: string, dir: string, child: ChildProcess) {
    this.url = url
    this.dir = dir
    this.#process = child
  }

  /** Starts nginx with the deployment file and waits until it answers over TLS. */
  static async start (t: Teardown, options: NginxOptions): Promise<Nginx> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-nginx-'))
    const { cert, key } = options.credentials ?? await testCredentials()
    const certFile = path.join(dir, 'cert.pem')
    const keyFile = path.join(dir, 'key.pem')
    fs.writeFileSync(certFile, cert)
    fs.writeFileSync(keyFile, key, { mode: 0o600 })
    fs.writeFileSync(path.join(dir, 'hero-socket.conf'), renderDeployConf(options, certFile, keyFile))
    fs.writeFileSync(path.join(dir, 'nginx.conf'), [
      // As root, workers would otherwise switch to nobody and could not write the temp folders.
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'worker_processes 1;',
      'daemon off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      'events { worker_connections 512; }',
      'http {',
      `  access_log ${dir}/access.log;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${name}_temp_path ${dir}/${name};`),
      `  include ${dir}/hero-socket.conf;`,
      '}',
      ''
    ].join('\n'))
    const child = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const nginx = new Nginx(`https://127.0.0.1:${options.port}`, dir, child)
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      fs.rmSync(dir, { recursive: true, force: true })
    })
    await nginx.#waitUntilAnswering(() => stderr)
    return nginx
  }

  async #waitUntilAnswering (stderr: () => string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.#process.exitCode !== null) throw new Error(`nginx exited: ${stderr()} ${fs.readFileSync(path.join(this.dir, 'error.log'), 'utf8')}`)
      const ok = await fetch(`${this.url}/healthz`).then((res) => res.status === 200, () => false)
      if (ok) return
      if (Date.now() > deadline) throw new Error(`nginx did not answer within ${timeoutMs} ms: ${stderr()}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

/** deploy/instance.env as variables (comments and blank lines skipped). */
export function instanceEnv (): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of fs.readFileSync(path.join(ROOT, 'deploy', 'instance.env'), 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (match?.[1] !== undefined) env[match[1]] = match[2] ?? ''
  }
  return env
}
