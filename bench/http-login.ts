// POST /login and POST /logout against hero-socket, the way the browser's forms send them (Origin
// header, urlencoded body): login returns the session id from the `__Host-sid` cookie, logout
// ends a session by its cookie.
import http from 'node:http'
import https from 'node:https'

/** Where a form is posted, and how. */
export interface FormTarget {
  /** http:// or https:// base of the server. */
  readonly httpBase: string
  readonly origin: string
  /** PEM to trust for https. */
  readonly ca?: string | undefined
  /** A keep-alive agent to reuse connections across requests. */
  readonly agent?: http.Agent | undefined
}

export interface LoginOptions extends FormTarget {
  readonly username: string
  readonly password: string
}

/** Longest wait for one answer (ms). */
const REQUEST_TIMEOUT_MS = 30_000

/** Posts `fields` to `path` and resolves with the answer's status and Set-Cookie headers once it has been read. */
function postForm (
  target: FormTarget, path: string, fields: Record<string, string>, cookie?: string
): Promise<{ status: number | undefined, cookies: string[] }> {
  const url = new URL(path, target.httpBase)
  const body = new URLSearchParams(fields).toString()
  const requestOptions: https.RequestOptions = {
    method: 'POST',
    agent: target.agent,
    headers: {
      origin: target.origin,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
      ...(cookie === undefined ? {} : { cookie })
    },
    ...(url.protocol === 'https:' ? { ca: target.ca } : {})
  }
  const send = url.protocol === 'https:' ? https.request : http.request
  return new Promise((resolve, reject) => {
    const request = send(url, requestOptions, (response) => {
      response.resume()
      response.once('end', () => {
        resolve({ status: response.statusCode, cookies: response.headers['set-cookie'] ?? [] })
      })
    })
    request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error(`${path} timed out`)))
    request.once('error', reject)
    request.end(body)
  })
}

/**
 * Logs in once.
 * @returns the session id (the cookie value)
 * @throws when the answer is not a 303 with a session cookie
 */
export async function login (options: LoginOptions): Promise<string> {
  const fields = { username: options.username, password: options.password }
  const { status, cookies } = await postForm(options, '/login', fields)
  const match = cookies.map((c) => /^__Host-sid=([^;]+)/.exec(c)).find((m) => m !== null)
  if (status !== 303 || match?.[1] === undefined) throw new Error(`login answered ${status ?? '?'}`)
  return match[1]
}

/**
 * Logs the session `sessionId` out (its sockets on every instance close with 4401).
 * @throws when the answer is not the 303 back to the login page
 */
export async function logout (target: FormTarget, sessionId: string): Promise<void> {
  const { status } = await postForm(target, '/logout', {}, `__Host-sid=${sessionId}`)
  if (status !== 303) throw new Error(`logout answered ${status ?? '?'}`)
}
