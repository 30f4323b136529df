// One authenticated WebSocket: greets with user_authorized, answers each valid message with its
// type's handler (protocol/handlers.ts), and turns every bad input into an error reply or a
// defined close code. Never throws out of a listener: a failure of ours closes with 1011. What
// the peer may cost is bounded:
// - messages and pings share one token bucket (MESSAGE_RATE, MESSAGE_BURST), whose size and rate
//   user_authorized tells the client, so a well-behaved client never meets it;
// - a message past the bucket is told how long to wait (rate_limited, retryAfterMs); it is abuse
//   only when it arrives while a wait told before is still running (told-wait.ts), so a client
//   that honours retryAfterMs is never closed. A ping past the bucket is still answered (a
//   keepalive must not die of a wait nobody told it) but is abuse, as is an unrequested pong;
// - abuse (invalid messages; the above) is counted over time, in buckets of
//   MAX_INVALID_MESSAGES and MAX_RATE_LIMITED_MESSAGES per ABUSE_WINDOW_S that refill
//   continuously: past either, 1008. Good messages in between do not reset them;
// - once the socket is closing, whatever still arrives is ignored: abuse is answered, and logged,
//   once per connection;
// - replies the peer does not read are bounded: past MAX_BUFFERED_BYTES unsent, it is dropped;
// - only a pong that echoes the server's own last ping payload proves the peer alive.
import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { RawData, WebSocket } from 'ws'
import type { WsConfig } from '../config/config.js'
import { CLOSE_CODES, type CloseName, type ConnectionDrop, type MessageErrorCode } from '../errors.js'
import { bounded } from '../logging/bounded.js'
import { handleMessage, type HandlerContext } from '../protocol/handlers.js'
import { errorMessage, MAX_RETRY_AFTER_MS, userAuthorizedMessage } from '../protocol/messages.js'
import type { Protocol } from '../protocol/protocol.js'
import type { SessionActivity } from './session-activity.js'
import { TokenBucket } from './token-bucket.js'
import { ToldWait } from './told-wait.js'

/** Limits of one connection: the configuration's own fields (documented there). */
export type ConnectionLimits = Pick<WsConfig, 'messageRate' | 'messageBurst' | 'maxInvalidMessages' |
'maxRateLimitedMessages' | 'abuseWindowMs' | 'maxBufferedBytes'>

export interface HeroConnectionOptions {
  readonly ws: WebSocket
  readonly username: string
  /** The secret session id, kept in memory only, to touch the session on activity. */
  readonly sessionId: string
  readonly sessionKey: string
  readonly activity: SessionActivity
  readonly protocol: Protocol
  readonly limits: ConnectionLimits
  /** Clock in milliseconds for the buckets and the waits told (only the time between readings counts). */
  readonly now: () => number
  /** The child logger carrying the connection id and user (made on first use). */
  readonly log: () => FastifyBaseLogger
  /** Told what happens on the connection (the metrics). */
  readonly observer: ConnectionObserver
}

/** What a connection reports of itself. */
export interface ConnectionObserver {
  /** One client message: its type ('invalid' when unreadable) and how it was answered. */
  message (type: string, outcome: string): void
  /** A close code the server sent. */
  closed (code: number): void
  /** ws refused a frame (its error code). */
  protocolError (code: string): void
  /** Dropped without a close frame, and why. */
  dropped (reason: ConnectionDrop): void
}

/** Bytes of the random payload of each heartbeat ping. */
const PING_PAYLOAD_BYTES = 8

/** Serves one connection until it closes. */
export class HeroConnection {
  readonly #options: HeroConnectionOptions
  readonly #context: HandlerContext
  readonly #bucket: TokenBucket
  readonly #invalid: TokenBucket
  readonly #rateLimited: TokenBucket
  readonly #toldWait: ToldWait
  /** The payload of the last heartbeat ping not yet answered; undefined once answered. */
  #awaitedPong: Buffer | undefined

  constructor (options: HeroConnectionOptions) {
    this.#options = options
    const { limits, now, ws } = options
    this.#context = { username: options.username }
    this.#bucket = new TokenBucket(limits.messageRate, limits.messageBurst, now)
    this.#invalid = new TokenBucket(
      limits.maxInvalidMessages * 1000 / limits.abuseWindowMs,
      limits.maxInvalidMessages,
      now
    )
    this.#rateLimited = new TokenBucket(
      limits.maxRateLimitedMessages * 1000 / limits.abuseWindowMs,
      limits.maxRateLimitedMessages,
      now
    )
    this.#toldWait = new ToldWait(now)
    options.activity.opened(options.sessionKey)
    ws.on('message', (data, isBinary) => this.#guarded(() => this.#onMessage(data, isBinary)))
    ws.on('ping', (data) => this.#guarded(() => this.#onPing(data)))
    ws.on('pong', (data) => this.#guarded(() => this.#onPong(data)))
    ws.on('error', (err: Error & { code?: string }) => {
      // ws has already chosen the close code (1009 too big, 1002 protocol, 1007 bad UTF-8, 1008 limits).
      options.log().info({ event: 'ws_error', code: err.code ?? 'unknown' }, 'socket error')
      options.observer.protocolError(err.code ?? 'unknown')
    })
    this.#send(userAuthorizedMessage(options.username, limits))
  }

  /** Closes with one of the registry's close codes. */
  close (name: CloseName): void {
    const { code, reason } = CLOSE_CODES[name]
    if (this.#options.ws.readyState === this.#options.ws.OPEN) this.#options.observer.closed(code)
    this.#options.ws.close(code, reason)
  }

  /**
   * One heartbeat round: a peer that did not echo the previous ping's payload is dropped (false);
   * otherwise it is pinged again with a new payload (true).
   */
  heartbeat (): boolean {
    if (this.#awaitedPong !== undefined) {
      this.#drop('heartbeat_missed')
      return false
    }
    this.#awaitedPong = randomBytes(PING_PAYLOAD_BYTES)
    this.#options.ws.ping(this.#awaitedPong)
    this.#checkBuffered()
    return true
  }

  /**
   * Runs a listener's work on input from the peer; a failure of ours (a handler or a store that
   * throws) is logged, closes this socket with 1011, and goes no further: it never reaches the
   * process. Input on a socket that is no longer open is ignored: ws keeps reading frames until the
   * peer's close frame (or its close timeout), and a socket being closed (for abuse, a session
   * end, a shutdown) has had its answer, so the frames behind it are neither served, counted,
   * nor logged again.
   */
  #guarded (work: () => void): void {
    if (this.#options.ws.readyState !== this.#options.ws.OPEN) return
    try {
      work()
    } catch (err) {
      this.#options.log().error(
        {
          event: 'ws_internal_error',
          err: { name: bounded((err as Error).name), message: bounded((err as Error).message) }
        },
        'closing: the server failed on this socket'
      )
      this.close('internal_error')
    }
  }

  #onMessage (data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#options.log().info({ event: 'ws_binary_refused' }, 'binary frame refused')
      this.close('unsupported_data')
      return
    }
    if (!this.#bucket.take()) {
      this.#tellToWait()
      return
    }
    this.#options.activity.used(this.#options.sessionId, this.#options.sessionKey)
    const parsed = this.#options.protocol.parse(data.toString())
    if (!parsed.ok) {
      this.#options.observer.message('invalid', parsed.code)
      this.#refuse(parsed.code, parsed.id)
      return
    }
    const reply = handleMessage(parsed.message.type, parsed.message, this.#context)
    this.#options.observer.message(parsed.message.type, reply.outcome)
    this.#send(reply.frame)
  }

  /**
   * A message past the bucket: told how long to wait (rate_limited with retryAfterMs), and abuse
   * only when it arrived while a wait told before was still running.
   */
  #tellToWait (): void {
    this.#options.observer.message('unread', 'rate_limited')
    const abuse = 'closing: continued messages during the wait it was told'
    if (this.#toldWait.ignored() && this.#abused(this.#rateLimited, 'ws_rate_abuse', abuse)) return
    const retryAfterMs = Math.min(MAX_RETRY_AFTER_MS, Math.max(1, this.#bucket.retryAfterMs()))
    this.#toldWait.told(retryAfterMs)
    this.#send(errorMessage('rate_limited', undefined, retryAfterMs))
  }

  /**
   * A client's ping costs a message. Past the budget it is abuse, yet answered while the abuse
   * budget lasts: RFC 6455 asks a pong for every ping, and no wait is ever told for pings, so a
   * polite client's keepalive (Python websockets pings every 20 s) must not go unanswered.
   */
  #onPing (data: Buffer): void {
    const abuse = 'closing: continued pings past the rate limit'
    if (!this.#bucket.take() && this.#abused(this.#rateLimited, 'ws_ping_abuse', abuse)) return
    this.#options.ws.pong(data)
    this.#checkBuffered()
  }

  /** Only the echo of our own last ping proves the peer alive; any other pong costs a message. */
  #onPong (data: Buffer): void {
    if (this.#awaitedPong !== undefined && data.equals(this.#awaitedPong)) {
      this.#awaitedPong = undefined
      return
    }
    if (!this.#bucket.take()) this.#abused(this.#rateLimited, 'ws_pong_abuse', 'closing: continued unrequested pongs')
  }

  #refuse (code: MessageErrorCode, id: number | undefined): void {
    if (this.#abused(this.#invalid, 'ws_invalid_abuse', 'closing: repeated invalid messages', code)) return
    this.#send(errorMessage(code, id))
  }

  /** Spends one unit of an abuse budget; when it is spent, closes with 1008 and answers true. */
  #abused (budget: TokenBucket, event: string, message: string, code?: MessageErrorCode): boolean {
    if (budget.take()) return false
    this.#options.log().warn({ event, ...(code === undefined ? {} : { code }) }, message)
    this.close('policy_violation')
    return true
  }

  #send (text: string): void {
    const { ws } = this.#options
    if (ws.readyState !== ws.OPEN) return
    ws.send(text)
    this.#checkBuffered()
  }

  /** A peer that does not read what we send is dropped before it can grow our memory. */
  #checkBuffered (): void {
    if (this.#options.ws.bufferedAmount > this.#options.limits.maxBufferedBytes) this.#drop('slow_reader')
  }

  /** Ends the socket at once, without a close frame (the peer would not read one), and says why. */
  #drop (reason: ConnectionDrop): void {
    if (this.#options.ws.readyState === this.#options.ws.CLOSED) return
    this.#options.log().warn(
      { event: 'ws_dropped', reason, buffered: this.#options.ws.bufferedAmount },
      'dropping the socket'
    )
    this.#options.observer.dropped(reason)
    this.#options.ws.terminate()
  }
}
