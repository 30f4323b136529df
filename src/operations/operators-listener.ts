// The operators' listener: Prometheus metrics, liveness and readiness on a port of their own
// (METRICS_HOST, default loopback; METRICS_PORT), never on the public one. With
// METRICS_TOKEN_FILE, /metrics asks for `Authorization: Bearer <token>`, compared in constant time.
// /livez, /healthz and /readyz answer here too, without the token: they say nothing secret
// (readiness with its checks, which the public port does not show). A scrape with a wrong or
// missing token is answered 401 and logged, naming the client. Every answer carries the fixed
// security headers, as the public port's do.
// Plain HTTP on loopback; HTTPS (METRICS_TLS=on, the public listener's policy) anywhere else.
import { createHash, timingSafeEqual } from 'node:crypto'
import fsp from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import type { FastifyBaseLogger } from 'fastify'
import { ConfigError, type MetricsConfig } from '../config/config.js'
import { explainListenFailure } from '../config/listen-error.js'
import { clientOf, type TrustedProxies } from '../edge/client-address.js'
import { bounded } from '../logging/bounded.js'
import { endWithRawAnswer, RAW_ANSWER_HEADERS } from '../edge/fixed-headers.js'
import type { AppMetrics } from './metrics.js'
import { LIVE_ANSWER, type Readiness } from './readiness.js'

/** What a scrape's bearer token must hash to: the SHA-256 of METRICS_TOKEN_FILE's token. */
export type MetricsToken = Buffer

/**
 * The token scrapes must send, from METRICS_TOKEN_FILE (trimmed); undefined when none is asked.
 * Read at start-up with the other files (a bad one stops start-up as a configuration error).
 */
export async function readMetricsToken (metrics: MetricsConfig | undefined): Promise<MetricsToken | undefined> {
  const file = metrics?.tokenFile
  if (file === undefined) return undefined
  let token: string
  try {
    token = (await fsp.readFile(file, 'utf8')).trim()
  } catch (err) {
    throw new ConfigError('METRICS_TOKEN_FILE', `names a file that cannot be read: ${file} ` +
      `(${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  if (token.length < 16) throw new ConfigError('METRICS_TOKEN_FILE', 'must hold a token of at least 16 characters')
  return digest(token)
}

/** SHA-256 of a token: equal lengths for timingSafeEqual, whatever was sent. */
function digest (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

function authorized (request: http.IncomingMessage, token: Buffer | undefined): boolean {
  if (token === undefined) return true
  const header = request.headers.authorization ?? ''
  const given = header.startsWith('Bearer ') ? header.slice(7) : ''
  return timingSafeEqual(digest(given), token)
}

/** Node's parser errors that are not a plain 400. */
const CLIENT_ERROR_STATUS: ReadonlyMap<string, number> = new Map([
  ['HPE_HEADER_OVERFLOW', 431],
  ['ERR_HTTP_REQUEST_TIMEOUT', 408]
])

/** The listener; start() it once the app listens, close() it with the app. */
export class OperatorsListener {
  readonly #config: MetricsConfig
  readonly #metrics: AppMetrics
  readonly #readiness: Readiness
  readonly #log: FastifyBaseLogger
  readonly #server: http.Server
  readonly #token: MetricsToken | undefined
  readonly #trustedProxies: TrustedProxies
  readonly #scheme: 'http' | 'https'
  #url: string | undefined

  /** With `tls` (key, certificate, policy) it serves HTTPS, else plain HTTP. */
  constructor (
    config: MetricsConfig,
    token: MetricsToken | undefined,
    metrics: AppMetrics,
    readiness: Readiness,
    log: FastifyBaseLogger,
    trustedProxies: TrustedProxies,
    tls?: https.ServerOptions
  ) {
    this.#config = config
    this.#trustedProxies = trustedProxies
    this.#token = token
    this.#metrics = metrics
    this.#readiness = readiness
    this.#log = log
    const handler: http.RequestListener = (request, response) => {
      this.#answer(request, response).catch((err: unknown) => {
        log.error({ err }, 'operators listener failed')
        if (!response.headersSent) response.writeHead(500, RAW_ANSWER_HEADERS).end()
      })
    }
    this.#server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler)
    this.#scheme = tls === undefined ? 'http' : 'https'
    // What Node cannot parse gets the fixed headers too, not Node's bare 400 (logged at debug:
    // nothing here is counted, and a line per malformed request would let anyone fill the log).
    this.#server.on('clientError', (err: Error & { code?: string }, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return
      log.debug(
        { event: 'operators_client_error', code: err.code },
        'a request the operators\' listener could not read'
      )
      endWithRawAnswer(socket, CLIENT_ERROR_STATUS.get(err.code ?? '') ?? 400)
    })
    this.#server.headersTimeout = 5000
    this.#server.requestTimeout = 10_000
  }

  /** http(s)://host:port once listening; undefined before. */
  get url (): string | undefined {
    return this.#url
  }

  /** Listens. @throws ListenError when METRICS_PORT is taken, or METRICS_HOST is not this machine's */
  async start (): Promise<void> {
    const { port, host } = this.#config
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', (err) => reject(
        explainListenFailure(err, { portVariable: 'METRICS_PORT', hostVariable: 'METRICS_HOST', host, port })
      ))
      this.#server.listen(port, host, () => resolve())
    })
    const address = this.#server.address()
    const bound = typeof address === 'object' && address !== null ? address.port : port
    this.#url = `${this.#scheme}://${host.includes(':') ? `[${host}]` : host}:${bound}`
    this.#log.info(
      { event: 'operators_listening', url: this.#url, token: this.#token !== undefined },
      'metrics, liveness and readiness listening'
    )
  }

  async close (): Promise<void> {
    if (!this.#server.listening) return
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve())
      this.#server.closeAllConnections()
    })
  }

  async #answer (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0]
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return void response.writeHead(405, { ...RAW_ANSWER_HEADERS, allow: 'GET, HEAD' }).end()
    }
    if (path === '/livez' || path === '/healthz') return void json(response, 200, LIVE_ANSWER)
    if (path === '/readyz') {
      const { status, body } = this.#readiness.answer()
      return void json(response, status, body)
    }
    if (path !== '/metrics') return void json(response, 404, { status: 'not found' })
    if (!authorized(request, this.#token)) {
      const client = clientOf(request.socket.remoteAddress, request.headers, this.#trustedProxies)
      this.#log.warn(
        {
          event: 'metrics_unauthorized',
          ip: client.address,
          token: request.headers.authorization === undefined ? 'missing' : 'wrong',
          url: bounded(request.url)
        },
        'metrics request refused: wrong or missing token'
      )
      return void response.writeHead(401, { ...RAW_ANSWER_HEADERS, 'www-authenticate': 'Bearer' }).end()
    }
    response.writeHead(200, { ...RAW_ANSWER_HEADERS, 'content-type': this.#metrics.registry.contentType })
      .end(await this.#metrics.registry.metrics())
  }
}

function json (response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(
    status,
    { ...RAW_ANSWER_HEADERS, 'content-type': 'application/json; charset=utf-8' }
  ).end(JSON.stringify(body))
}
