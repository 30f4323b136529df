// The connection to the shared store: one ioredis client for commands and one for pub/sub. Every
// command is bounded (REDIS_TIMEOUT_MS) and fails at once while Redis is unreachable (no offline
// queue), so a slow or missing Redis makes logins and handshakes fail fast instead of hanging;
// both clients reconnect on their own, forever. Outages are logged once each, when they begin and
// when they end, and listeners hear of every reconnect (to re-check what may have been missed).
import { EventEmitter } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import { Redis, type RedisOptions } from 'ioredis'
import type { RedisConfig } from '../config/config.js'
import { RedisKeys } from './redis-keys.js'

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
  #reachable = false
  #everReady = false
  #outage = false
  #closed = false

  /** Connects in the background; nothing waits for Redis here. */
  constructor (config: RedisConfig, log: FastifyBaseLogger, name: string) {
    this.keys = new RedisKeys(config.keyPrefix)
    this.#log = log
    const common: RedisOptions = {
      connectTimeout: config.timeoutMs,
      retryStrategy: reconnectDelay,
      connectionName: name,
      lazyConnect: false
    }
    this.client = create(config.url, { ...common, commandTimeout: config.timeoutMs, enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    this.subscriber = create(config.url, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: true })
    this.client.on('ready', () => this.#onReady())
    this.client.on('error', (err: Error & { code?: string }) => this.#onError(err))
    this.client.on('close', () => { if (!this.#closed) this.#outageBegins('the connection closed') })
    this.subscriber.on('ready', () => this.#events.emit('subscriberReady'))
    this.subscriber.on('error', () => {}) // the command client reports outages; this one reconnects with it
  }

  /** True while the command client is connected and ready. */
  get reachable (): boolean {
    return this.#reachable
  }

  /** Calls `listener` after every reconnect of either client (not the first connect). Returns an unsubscribe. */
  onReconnect (listener: () => void): () => void {
    let subscriberConnects = 0
    const onSubscriber = (): void => { if (++subscriberConnects > 1) listener() }
    this.#events.on('reconnected', listener)
    this.#events.on('subscriberReady', onSubscriber)
    return () => {
      this.#events.off('reconnected', listener)
      this.#events.off('subscriberReady', onSubscriber)
    }
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
    this.#events.removeAllListeners()
    this.client.disconnect()
    this.subscriber.disconnect()
  }

  #onReady (): void {
    this.#reachable = true
    if (this.#everReady) this.#events.emit('reconnected')
    if (this.#outage) this.#log.info({ event: 'redis_reachable' }, 'Redis answers again')
    else if (!this.#everReady) this.#log.info({ event: 'redis_connected' }, 'connected to Redis')
    this.#everReady = true
    this.#outage = false
  }

  #onError (err: Error & { code?: string }): void {
    this.#outageBegins(err.message, err.code)
  }

  // ioredis reports every failed attempt; one line per outage says when it began.
  #outageBegins (why: string, code?: string): void {
    this.#reachable = false
    if (this.#outage) return
    this.#outage = true
    this.#log.error({ event: 'redis_unreachable', code, err: { message: why } }, 'Redis is unreachable: logins and new sockets get 503 until it answers')
  }
}

function create (url: string, options: RedisOptions): Redis {
  return url.startsWith('/') ? new Redis({ ...options, path: url }) : new Redis(url, options)
}
