// The connection to the shared store: one ioredis client for commands and one for pub/sub. Every
// command is bounded (REDIS_TIMEOUT_MS) and fails at once while Redis is unreachable (no offline
// queue), so a slow or missing Redis makes logins and handshakes fail fast instead of hanging;
// both clients reconnect on their own, forever. A PING every second tells whether Redis answers
// (a stopped process keeps its connections but answers nothing). Outages are logged once each,
// when they begin and when they end, and listeners hear of every reconnect (to re-check what may
// have been missed). Every store call goes through timed(): measured, and failures made
// StoreUnavailableError.
import { EventEmitter } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import { Redis, type RedisOptions } from 'ioredis'
import type { RedisConfig } from '../../config/config.js'
import { StoreUnavailableError } from '../../errors.js'
import type { StoreObserver } from '../stores.js'
import { credentialOptions, type RedisCredentials } from './redis-credentials.js'
import { RedisKeys } from './redis-keys.js'

/** How often Redis is asked whether it answers (ms). */
const PROBE_INTERVAL_MS = 1000

/** Delay before reconnect attempt `times` (ms): doubling from 100 ms up to 2 s. */
function reconnectDelay (times: number): number {
  return Math.min(100 * 2 ** Math.min(times - 1, 5), 2000)
}

export class RedisConnection {
  /** For commands: bounded, never queued while disconnected. */
  readonly client: Redis
  /** For SUBSCRIBE only: resubscribes by itself after a reconnect. */
  readonly subscriber: Redis
  readonly keys: RedisKeys
  readonly #events = new EventEmitter()
  readonly #log: FastifyBaseLogger
  readonly #observer: StoreObserver | undefined
  readonly #probe: NodeJS.Timeout
  #reachable = false
  #everReady = false
  #outage = false
  #closed = false
  /** A probe PING is in flight (one at a time, however long REDIS_TIMEOUT_MS is). */
  #pinging = false
  #subscriberConnects = 0

  /** Connects in the background (as `credentials` say, if any); nothing waits for Redis here. */
  constructor (
    config: Pick<RedisConfig, 'url' | 'keyPrefix' | 'timeoutMs'>,
    log: FastifyBaseLogger,
    name: string,
    observer?: StoreObserver,
    credentials: RedisCredentials = {}
  ) {
    this.keys = new RedisKeys(config.keyPrefix)
    this.#log = log
    this.#observer = observer
    this.#events.setMaxListeners(0)
    const common: RedisOptions = {
      ...credentialOptions(config.url, credentials),
      connectTimeout: config.timeoutMs,
      retryStrategy: reconnectDelay,
      connectionName: name,
      lazyConnect: false
    }
    this.client = create(
      config.url,
      { ...common, commandTimeout: config.timeoutMs, enableOfflineQueue: false, maxRetriesPerRequest: 1 }
    )
    this.subscriber = create(
      config.url,
      { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: true }
    )
    this.client.on('ready', () => this.#answers())
    this.client.on('error', (err: Error & { code?: string }) => this.#outageBegins(err.message, err.code))
    this.client.on('close', () => { if (!this.#closed) this.#outageBegins('the connection closed') })
    this.subscriber.on('ready', () => this.#subscriberReady())
    this.subscriber.on('error', () => {}) // the command client reports outages; this one reconnects with it
    this.#probe = setInterval(() => { void this.#ping() }, PROBE_INTERVAL_MS)
    this.#probe.unref()
  }

  /** True while Redis answers this instance. */
  get reachable (): boolean {
    return this.#reachable
  }

  /**
   * Awaits one call to Redis for `operation`, recording its duration and outcome.
   * @throws StoreUnavailableError for any failure (timeout, connection down, an error reply)
   */
  async timed<T> (operation: string, pending: Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      const value = await pending
      this.#observer?.call(operation, (performance.now() - started) / 1000, true)
      return value
    } catch (err) {
      this.#observer?.call(operation, (performance.now() - started) / 1000, false)
      throw new StoreUnavailableError(operation, err)
    }
  }

  /** Calls `listener` after every reconnect of either client (not the first connect). Returns an unsubscribe. */
  onReconnect (listener: () => void): () => void {
    this.#events.on('reconnected', listener)
    return () => this.#events.off('reconnected', listener)
  }

  /** Calls `listener` each time the subscriber client is ready (first connect included). */
  onSubscriberReady (listener: () => void): () => void {
    this.#events.on('subscriberReady', listener)
    return () => this.#events.off('subscriberReady', listener)
  }

  /** Closes both clients; pending commands fail. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#probe)
    this.#events.removeAllListeners()
    this.client.disconnect()
    this.subscriber.disconnect()
  }

  async #ping (): Promise<void> {
    if (this.#closed || this.#pinging || this.client.status !== 'ready') return
    this.#pinging = true
    try {
      await this.client.ping()
      this.#answers()
    } catch (err) {
      this.#outageBegins(`PING failed: ${(err as Error).message}`)
      // A connection that stays up but answers nothing (a stopped process, a dead path) keeps
      // every timed-out command queued: drop it and reconnect, which fails them all at once, so
      // what waits is bounded by one probe interval and REDIS_TIMEOUT_MS of traffic.
      if (!this.#closed) this.client.disconnect(true)
    } finally {
      this.#pinging = false
    }
  }

  #answers (): void {
    if (this.#reachable) return
    this.#reachable = true
    if (this.#everReady) {
      this.#observer?.reconnected('commands')
      this.#events.emit('reconnected')
    }
    if (this.#outage) this.#log.info({ event: 'redis_reachable' }, 'Redis answers again')
    else if (!this.#everReady) this.#log.info({ event: 'redis_connected' }, 'connected to Redis')
    this.#everReady = true
    this.#outage = false
  }

  #subscriberReady (): void {
    if (++this.#subscriberConnects > 1) {
      this.#observer?.reconnected('pubsub')
      this.#events.emit('reconnected')
    }
    this.#events.emit('subscriberReady')
  }

  // ioredis reports every failed attempt; one line per outage says when it began.
  #outageBegins (why: string, code?: string): void {
    this.#reachable = false
    if (this.#outage) return
    this.#outage = true
    this.#log.error(
      { event: 'redis_unreachable', code, err: { message: why } },
      'Redis is unreachable: logins and new sockets get 503 until it answers'
    )
  }
}

function create (url: string, options: RedisOptions): Redis {
  return url.startsWith('/') ? new Redis({ ...options, path: url }) : new Redis(url, options)
}
