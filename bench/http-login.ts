// One POST /login against hero-socket, the way a browser form does it (Origin header,
// urlencoded body), returning the session id from the `__Host-sid` cookie.
import http from 'node:http'
import https from 'node:https'

export interface LoginOptions {
  /** http:// or https:// base of the server. */
  readonly httpBase: string
  readonly origin: string
  readonly username: string
  readonly password: string
  /** PEM to trust for https. */
  readonly ca?: string | undefined
  /** A keep-alive agent to reuse connections across logins. */
  readonly agent?: http.Agent | undefined
}

/**
 * Logs in once.
 * @returns the session id (the cookie value)
 * @throws when the answer is not a 303 with a session cookie
 */
export function login (options: LoginOptions): Promise<string> {
  const url = new URL('/login', options.httpBase)
  const body = new URLSearchParams({ username: options.username, password: options.password }).toString()
  const requestOptions: https.RequestOptions = {
    method: 'POST',
    agent: options.agent,
    headers: {
      origin: options.origin,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body)
    },
    ...(url.protocol === 'https:' ? { ca: options.ca } : {})
  }
  const send = url.protocol === 'https:' ? https.request : http.request
  return new Promise((resolve, reject) => {
    const request = send(url, requestOptions, (response) => {
      response.resume()
      response.once('end', () => {
        const cookies = response.headers['set-cookie'] ?? []
        const match = cookies.map((c) => /^__Host-sid=([^;]+)/.exec(c)).find((m) => m !== null)
        if (response.statusCode !== 303 || match?.[1] === undefined) reject(new Error(`login answered ${response.statusCode ?? '?'}`))
        else resolve(match[1])
      })
    })
    request.setTimeout(30_000, () => request.destroy(new Error('login timed out')))
    request.once('error', reject)
    request.end(body)
  })
}
