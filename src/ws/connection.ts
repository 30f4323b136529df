// One authenticated WebSocket: greets with user_authorized, answers each valid message with its
// type's handler (protocol/handlers.ts), and turns every bad input into an error reply or a
// defined close code. Never throws out of a listener.
import type { FastifyBaseLogger } from 'fastify'
import type { RawData, WebSocket } from 'ws'
import { CLOSE_CODES, type CloseName, type MessageErrorCode } from '../errors.js'
import { handleMessage, type HandlerContext } from '../protocol/handlers.js'
import { errorMessage, userAuthorizedMessage } from '../protocol/messages.js'
import type { Protocol } from '../protocol/protocol.js'
import type { SessionActivity } from './session-activity.js'
import { TokenBucket } from './token-bucket.js'

/** Limits of one connection, from the configuration. */
export interface ConnectionLimits {
  /** Messages per second refilled into the bucket. */
  readonly messageRate: number
  readonly messageBurst: number
  /** Invalid messages (bad JSON, bad shape, unknown type) in a row tolerated before closing with 1008. */
  readonly maxInvalidMessages: number
  /** Rate-limited messages in a row tolerated before closing with 1008. */
  readonly maxRateLimitedMessages: number
}

export interface HeroConnectionOptions {
  readonly ws: WebSocket
  readonly username: string
  /** The secret session id, kept in memory only, to touch the session on activity. */
  readonly sessionId: string
  readonly sessionKey: string
  readonly activity: SessionActivity
  readonly protocol: Protocol
  readonly limits: ConnectionLimits
  readonly now: () => number
  /** Child logger carrying the connection id and user. */
  readonly log: FastifyBaseLogger
}

/** Serves one connection until it closes. */
export class HeroConnection {
  /** Cleared on every ping, set by the pong; a peer that misses one is terminated. */
  isAlive = true
  readonly #options: HeroConnectionOptions
  readonly #context: HandlerContext
  readonly #bucket: TokenBucket
  #invalidMessages = 0
  #rateLimitedMessages = 0

  constructor (options: HeroConnectionOptions) {
    this.#options = options
    this.#context = { username: options.username }
    this.#bucket = new TokenBucket(options.limits.messageRate, options.limits.messageBurst, options.now)
    options.activity.opened(options.sessionKey)
    const { ws } = options
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary))
    ws.on('pong', () => { this.isAlive = true })
    ws.on('error', (err: Error & { code?: string }) => {
      // ws has already chosen the close code (1009 too big, 1002 protocol, 1007 bad UTF-8, 1008 limits).
      options.log.info({ event: 'ws_error', code: err.code ?? 'unknown' }, 'socket error')
    })
    ws.send(userAuthorizedMessage(options.username))
  }

  /** Closes with one of the registry's close codes. */
  close (name: CloseName): void {
    const { code, reason } = CLOSE_CODES[name]
    this.#options.ws.close(code, reason)
  }

  /**
   * One heartbeat round: a peer that did not answer the previous ping is terminated (false);
   * otherwise it is pinged again (true).
   */
  heartbeat (): boolean {
    if (!this.isAlive) {
      this.#options.log.info({ event: 'ws_heartbeat_missed' }, 'terminating: missed pong')
      this.#options.ws.terminate()
      return false
    }
    this.isAlive = false
    this.#options.ws.ping()
    return true
  }

  #onMessage (data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#options.log.info({ event: 'ws_binary_refused' }, 'binary frame refused')
      this.close('unsupported_data')
      return
    }
    if (!this.#bucket.take()) {
      if (++this.#rateLimitedMessages > this.#options.limits.maxRateLimitedMessages) {
        this.#options.log.warn({ event: 'ws_rate_abuse' }, 'closing: continued messages past the rate limit')
        this.close('policy_violation')
        return
      }
      this.#send(errorMessage('rate_limited', undefined, Math.max(1, this.#bucket.retryAfterMs())))
      return
    }
    // The counters count abuse in a row: a client that waits, or sends valid messages again,
    // starts afresh, so a long-lived well-behaved connection never drifts towards 1008.
    this.#rateLimitedMessages = 0
    this.#options.activity.used(this.#options.sessionId, this.#options.sessionKey)
    const parsed = this.#options.protocol.parse(data.toString())
    if (!parsed.ok) {
      this.#refuse(parsed.code, parsed.id)
      return
    }
    this.#invalidMessages = 0
    this.#send(handleMessage(parsed.message.type, parsed.message, this.#context))
  }

  #refuse (code: MessageErrorCode, id: number | undefined): void {
    if (++this.#invalidMessages > this.#options.limits.maxInvalidMessages) {
      this.#options.log.warn({ event: 'ws_invalid_abuse', code }, 'closing: repeated invalid messages')
      this.close('policy_violation')
      return
    }
    this.#send(errorMessage(code, id))
  }

  #send (text: string): void {
    if (this.#options.ws.readyState === this.#options.ws.OPEN) this.#options.ws.send(text)
  }
}
