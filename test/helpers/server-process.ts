// The real server process (dist/src/server.js), for tests that need a process of its own: a
// crash (SIGKILL), a signal, an environment read at start-up. Killed at teardown if still running.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { DEMO_PASSWORD_FILE } from '../../src/accounts/first-start.js'
import { DEV_CERT_FILE } from '../../src/config/tls-credentials.js'
import { builtFile, childEnv, ROOT } from './http.js'
import { TEST_CA } from './test-ca.js'
import type { Teardown } from './test-server.js'

export const SERVER = builtFile('dist/src/server.js')

/** A started server process and what it printed so far. */
export interface ServerProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly port: number
  /** https://127.0.0.1:<port> (http:// with TLS=off). */
  readonly url: string
  stdout (): string
  stderr (): string
  readonly exit: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/**
 * Puts the certificate the tests' CA signed (test-ca.ts) where a server process started with the
 * development defaults finds its development certificate (CERTS_DIR), so that it serves one every
 * test client verifies, and the set-up stays a development one. Returns `certsDir`.
 */
export function useTestCertificate (certsDir: string): string {
  fs.mkdirSync(certsDir, { recursive: true, mode: 0o700 })
  fs.copyFileSync(TEST_CA.certFile, path.join(certsDir, DEV_CERT_FILE))
  fs.copyFileSync(TEST_CA.keyFile, path.join(certsDir, 'dev-key.pem'))
  fs.chmodSync(path.join(certsDir, 'dev-key.pem'), 0o600)
  return certsDir
}

/** The preload that offsets and steps a server process's wall clock (see the file). */
export const WALL_CLOCK_PRELOAD = new URL('./wall-clock-preload.mjs', import.meta.url).href

/**
 * Spawns the server with only `env` (plus PATH and HOME) and resolves once it listens; rejects if
 * it exits or `timeoutMs` pass first. With `t`, it is SIGKILLed at teardown if still running.
 * @param nodeArgs options for node before the entry file (e.g. `--import` WALL_CLOCK_PRELOAD)
 * @param detached in a process group of its own, as a terminal starts it (signal it as `-pid`)
 */
export function startServerProcess (
  env: Record<string, string>,
  t?: Teardown,
  timeoutMs = 20_000,
  nodeArgs: readonly string[] = [],
  detached = false
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, SERVER],
    { cwd: ROOT, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'], detached }
  )
  t?.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  const exit = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the server did not start within ${timeoutMs} ms\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
      // 'allowed origins' is the last line of a start-up (the demo account is made before listening).
      const listening = /Server listening at (https?):\/\/127\.0\.0\.1:(\d+)/.exec(stdout)
      if (listening?.[2] !== undefined && stdout.includes('"allowed origins"')) {
        clearTimeout(timer)
        const port = Number(listening[2])
        resolve({
          child,
          port,
          url: `${listening[1] ?? 'https'}://127.0.0.1:${port}`,
          stdout: () => stdout,
          stderr: () => stderr,
          exit
        })
      }
    })
    void exit.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`the server exited with ${code} before listening\n${stdout}\n${stderr}`))
    })
  })
}

/**
 * The demo password a first start with the development defaults wrote (no terminal in tests: it
 * goes to DEMO_PASSWORD_FILE beside the users file in `dataDir`); '' when there is none.
 */
export function demoPasswordIn (dataDir: string): string {
  try {
    return fs.readFileSync(path.join(dataDir, DEMO_PASSWORD_FILE), 'utf8').trim()
  } catch {
    return ''
  }
}

/**
 * Changes the demo's one-time password on the server at `origin` with the session `cookie`
 * (`__Host-sid=…`) of its login: a one-time session opens only the change form, so a test that
 * wants sockets changes it first. Returns the cookie of the session that continues.
 */
export async function changeOneTimePassword (origin: string, cookie: string, password: string): Promise<string> {
  const chosen = randomBytes(18).toString('base64url')
  const changed = await fetch(`${origin}/account/password`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ currentPassword: password, newPassword: chosen, repeatPassword: chosen }).toString()
  })
  const next = (changed.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  if (changed.status !== 200 || next === '') throw new Error(`the one-time password was not changed: ${changed.status}`)
  return next
}
