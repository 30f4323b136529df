// What the HTTPS tests send and measure: form posts with chosen headers, page requests with a
// session cookie, a count of argon2 verifications, waiting for a session to end, and running
// the built entry files (dist/) as real processes; requests from a chosen loopback address.
import { spawn } from 'node:child_process'
import type { IncomingHttpHeaders } from 'node:http'
import https from 'node:https'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SessionEnd } from '../../src/stores/sessions/session-store.js'
import { TEST_USER, type TestRequest, type TestServer } from './test-server.js'

/** The package root (where package.json and dist/ are). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** `__Host-sid=<43 base64url characters>` and nothing else but the fixed attributes. */
export const SESSION_SET_COOKIE = /^__Host-sid=([A-Za-z0-9_-]{43}); Path=\/; HttpOnly; Secure; SameSite=Strict$/

/**
 * POSTs an urlencoded form. Headers default to our own Origin and the form content type;
 * a header given as undefined is left out.
 */
export async function postForm (
  server: Pick<TestServer, 'request' | 'origin'>,
  route: string,
  fields: Record<string, string>,
  headers: Record<string, string | undefined> = {}
): Promise<Response> {
  return await server.request(route, {
    method: 'POST',
    headers: withoutUndefined({
      origin: server.origin,
      'content-type': 'application/x-www-form-urlencoded',
      ...headers
    }),
    body: new URLSearchParams(fields).toString()
  })
}

/**
 * A server process (server-process.ts) as postForm() and postLogin() address it: requests over
 * HTTPS to `url`, trusting `ca` when given (a certificate the process made itself), else the
 * tests' CA as fetch() does.
 */
export function remoteServer (url: string, ca?: string): Pick<TestServer, 'url' | 'origin' | 'request'> {
  return {
    url,
    origin: url,
    request: async (route, init = {}) => ca === undefined
      ? await fetch(url + route, { ...init, redirect: 'manual' })
      : await httpsRequest(new URL(route, url), init, ca)
  }
}

/** One HTTPS request with https.request (which takes a CA, where fetch() cannot), answered as a fetch Response. */
function httpsRequest (url: URL, init: TestRequest, ca: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const options = { method: init.method ?? 'GET', headers: { ...init.headers }, ca, agent: false }
    const request = https.request(url, options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const headers = new Headers()
        for (const [name, value] of Object.entries(res.headers)) {
          for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined) headers.append(name, one)
        }
        resolve(new Response(
          res.statusCode === 204 || res.statusCode === 304 ? null : Buffer.concat(chunks),
          { status: res.statusCode ?? 0, headers }
        ))
      })
    })
    request.on('error', reject)
    request.end(init.body)
  })
}

/** POST /login for `username` and `password` (default: the test user). */
export async function postLogin (
  server: Pick<TestServer, 'request' | 'origin'>,
  username: string = TEST_USER.username,
  password: string = TEST_USER.password,
  headers: Record<string, string | undefined> = {}
): Promise<Response> {
  return await postForm(server, '/login', { username, password }, headers)
}

/** GET `route`, carrying the session cookie when `sid` is given. */
export async function getWithSession (
  server: Pick<TestServer, 'request'>,
  route: string,
  sid?: string
): Promise<Response> {
  return await server.request(route, {
    headers: sid === undefined ? {} : { cookie: `__Host-sid=${sid}` }
  })
}

/** The session id a login response set (its one Set-Cookie, of the exact shape), or undefined. */
export function sessionIdOf (res: Response): string | undefined {
  const cookies = setCookies(res)
  return cookies.length === 1 ? SESSION_SET_COOKIE.exec(cookies[0] ?? '')?.[1] : undefined
}

/** Every Set-Cookie header of a response. */
export function setCookies (res: Response): string[] {
  return res.headers.getSetCookie()
}

/**
 * Counts calls of the server's real password verification from now on (argon2 still runs).
 * Read `calls` after the request.
 */
export function countVerifies (server: TestServer): { calls: number } {
  const hasher = server.app.services.hasher
  const verify = hasher.verify.bind(hasher)
  const counter = { calls: 0 }
  hasher.verify = async (hash: string | undefined, password: string): Promise<boolean> => {
    counter.calls++
    return await verify(hash, password)
  }
  return counter
}

/** Records every session end reported by the store. */
export function recordSessionEnds (server: TestServer): SessionEnd[] {
  const ends: SessionEnd[] = []
  server.sessions.onEnd((end) => ends.push(end))
  return ends
}

/** Resolves with the next session end, or rejects after `timeoutMs` (for the file watcher). */
export function nextSessionEnd (server: TestServer, timeoutMs = 5000): Promise<SessionEnd> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe()
      reject(new Error(`no session ended within ${timeoutMs} ms`))
    }, timeoutMs)
    const unsubscribe = server.sessions.onEnd((end) => {
      clearTimeout(timer)
      unsubscribe()
      resolve(end)
    })
  })
}

/** The middle value (mean of the two middle ones for an even count). */
export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export interface ProcessResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Path of a built entry file, e.g. `dist/src/server.js`; fails clearly when not built. */
export function builtFile (relative: string): string {
  const file = path.join(ROOT, relative)
  if (!fs.existsSync(file)) throw new Error(`${relative} is missing: run npm run build (npm test builds first)`)
  return file
}

/** The environment for a child process: only PATH and HOME from ours, plus `env`. */
export function childEnv (env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }
}

/** Runs `node <file> ...args` to the end, writing `input` to its stdin; kills it after `timeoutMs`. */
export function runNode (
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  input = '',
  timeoutMs = 20_000
): Promise<ProcessResult> {
  return runProcess(process.execPath, [file, ...args], env, input, timeoutMs)
}

/** Runs `command ...args` to the end, writing `input` to its stdin; kills it after `timeoutMs`. */
export function runProcess (
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  input = '',
  timeoutMs = 20_000
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
    child.stdin.on('error', () => {})
    child.stdin.end(input)
  })
}

function withoutUndefined (headers: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) result[name] = value
  return result
}

/** How many live sessions `username` (default: the test user) has in the server's store. */
export async function sessionCount (server: TestServer, username: string = TEST_USER.username): Promise<number> {
  return (await server.sessions.listUser(username)).length
}

/** What requestFrom() got back. */
export interface AnswerFrom {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** What requestFrom() sends: a method (default GET), a path, headers as given, a body. */
export interface RequestFromOptions {
  readonly method?: string
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

/**
 * One HTTPS request to `server` from the loopback address `from` (fetch cannot choose its
 * address, nor leave its own Sec-Fetch-Mode out), each on a connection of its own.
 */
export function requestFrom (
  server: Pick<TestServer, 'port'>,
  from: string,
  options: RequestFromOptions
): Promise<AnswerFrom> {
  return new Promise((resolve, reject) => {
    const request = https.request({
      host: '127.0.0.1',
      port: server.port,
      path: options.path,
      method: options.method ?? 'GET',
      localAddress: from,
      headers: options.headers ?? {},
      agent: false
    }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    request.on('error', reject)
    request.end(options.body)
  })
}

/** The urlencoded body of a login form. */
export function postLoginBody (username: string, password: string): string {
  return new URLSearchParams({ username, password }).toString()
}
