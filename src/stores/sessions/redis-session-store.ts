// The shared session store, for several instances on one Redis. Sessions are hashes keyed by the
// SHA-256 of their id (the id itself never leaves the process that issued it); a sorted set of
// deadlines lets every instance's sweep end expired sessions, and every end is published on one
// channel that every instance hears, so a logout on one closes the sockets on all. Every decision
// by time is taken inside a script on Redis's clock (redis-session-scripts.ts), so instances whose
// clocks disagree still agree on every session. Each call is bounded by REDIS_TIMEOUT_MS and fails
// with StoreUnavailableError, never hangs.
import { EventEmitter } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import type { RedisConnection } from '../redis/redis-connection.js'
import type { SessionTimeouts } from './session-expiry.js'
import { isSessionIdShape, isSessionKeyShape, newSessionId, sessionKeyOf } from './session-ids.js'
import { defineSessionScripts } from './redis-session-scripts.js'
import {
  SESSION_END_REASONS, type Session, type SessionEnd, type SessionEndReason, type SessionStore
} from './session-store.js'

export interface RedisSessionStoreOptions {
  /**
   * Tests only: a clock in epoch milliseconds that the scripts use instead of Redis's TIME, so a
   * test can move expiry by hand. Never set in production, where only Redis's clock decides.
   */
  readonly testClock?: () => number
  /** How often this instance sweeps expired sessions, in ms (0: never). */
  readonly sweepIntervalMs: number
  /** This instance's id: its own ends, heard back on the channel, are not reported twice. */
  readonly instanceId: string
  readonly log: FastifyBaseLogger
}

/** Redis keeps a session this long after its deadline, so a sweep always finds it first (ms). */
const EXPIRY_GRACE_MS = 5 * 60_000
/** Most sessions one sweep ends (the next sweep takes the rest). */
const SWEEP_BATCH = 500

const END_REASONS: ReadonlySet<string> = new Set<string>(SESSION_END_REASONS)

function isEndReason (value: unknown): value is SessionEndReason {
  return typeof value === 'string' && END_REASONS.has(value)
}

/** Sessions in Redis, shared by every instance with the same REDIS_KEY_PREFIX. */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisConnection
  readonly #timeouts: SessionTimeouts
  readonly #testClock: (() => number) | undefined
  readonly #instanceId: string
  readonly #log: FastifyBaseLogger
  readonly #events = new EventEmitter()
  readonly #sweepTimer: NodeJS.Timeout | undefined
  readonly #unsubscribe: () => void
  #subscribed = false

  constructor (redis: RedisConnection, timeouts: SessionTimeouts, options: RedisSessionStoreOptions) {
    this.#redis = redis
    this.#timeouts = timeouts
    this.#testClock = options.testClock
    this.#instanceId = options.instanceId
    this.#log = options.log
    this.#events.setMaxListeners(0)
    defineSessionScripts(redis.client)
    this.#unsubscribe = this.#listen()
    if (options.sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => { void this.sweep() }, options.sweepIntervalMs)
      this.#sweepTimer.unref()
    }
  }

  async create (username: string, credential: string): Promise<{ id: string, session: Session }> {
    const id = newSessionId()
    const key = sessionKeyOf(id)
    const { keys } = this.#redis
    const createdAt = Number(await this.#call('create', this.#redis.client.heroSessionCreate(
      keys.session(key), keys.userSessions(username), keys.sessionDeadlines,
      key, username, this.#testTime(), this.#timeouts.idleTimeoutMs, this.#timeouts.absoluteTimeoutMs,
      EXPIRY_GRACE_MS, credential
    )))
    return { id, session: { key, username, credential, createdAt, lastSeenAt: createdAt } }
  }

  async get (id: string): Promise<Session | undefined> {
    if (!isSessionIdShape(id)) return undefined
    const key = sessionKeyOf(id)
    const { keys } = this.#redis
    const reply = await this.#call('get', this.#redis.client.heroSessionGet(
      keys.session(key), keys.sessionDeadlines,
      key, this.#testTime(), this.#timeouts.idleTimeoutMs, this.#timeouts.absoluteTimeoutMs,
      keys.userSessionsPrefix, keys.sessionEnds, this.#instanceId
    ))
    const [state, username, created, seen, credential] = reply
    if (state === 'live' && username !== undefined) {
      return { key, username, credential: credential ?? '', createdAt: Number(created), lastSeenAt: Number(seen) }
    }
    // An expired session that this very lookup ended: { 'ended', its end message }, ours to report.
    if (state === 'ended' && reply[1] !== undefined) this.#report(reply[1], 'local')
    return undefined
  }

  async touch (id: string): Promise<void> {
    if (!isSessionIdShape(id)) return
    const key = sessionKeyOf(id)
    const { keys } = this.#redis
    const touched = await this.#call('touch', this.#redis.client.heroSessionTouch(
      keys.session(key), keys.sessionDeadlines,
      key, this.#testTime(), this.#timeouts.idleTimeoutMs, this.#timeouts.absoluteTimeoutMs, EXPIRY_GRACE_MS
    ))
    if (touched === -1) await this.#end(key, 'expiry')
  }

  async destroy (id: string, reason: SessionEndReason): Promise<void> {
    if (isSessionIdShape(id)) await this.#end(sessionKeyOf(id), reason)
  }

  async destroyKey (key: string, reason: SessionEndReason): Promise<void> {
    if (isSessionKeyShape(key)) await this.#end(key, reason)
  }

  async destroyUser (username: string, reason: SessionEndReason): Promise<number> {
    const { keys } = this.#redis
    const messages = await this.#call('end_user', this.#redis.client.heroSessionEndUser(
      keys.userSessions(username), keys.sessionDeadlines,
      reason, this.#testTime(), this.#timeouts.idleTimeoutMs, this.#timeouts.absoluteTimeoutMs,
      keys.sessionPrefix, keys.userSessionsPrefix, keys.sessionEnds, this.#instanceId
    ))
    for (const message of messages) this.#report(message, 'local')
    return messages.length
  }

  async listUser (username: string): Promise<readonly Session[]> {
    const { keys } = this.#redis
    const flat = await this.#call('list_user', this.#redis.client.heroSessionsOfUser(keys.userSessions(username),
      keys.sessionPrefix, this.#testTime(), this.#timeouts.idleTimeoutMs, this.#timeouts.absoluteTimeoutMs))
    const sessions: Session[] = []
    for (let i = 0; i + 4 < flat.length; i += 5) {
      sessions.push({
        key: String(flat[i]),
        username: String(flat[i + 1]),
        createdAt: Number(flat[i + 2]),
        lastSeenAt: Number(flat[i + 3]),
        credential: String(flat[i + 4])
      })
    }
    return sessions.sort((a, b) => a.createdAt - b.createdAt)
  }

  async filterLive (keys: readonly string[]): Promise<ReadonlySet<string>> {
    if (keys.length === 0) return new Set()
    return new Set(await this.#call(
      'filter_live',
      this.#redis.client.heroSessionsLive(this.#redis.keys.sessionDeadlines, this.#testTime(), ...keys)
    ))
  }

  /** True while this instance listens on the session-ends channel (ends elsewhere reach it at once). */
  get subscribed (): boolean {
    return this.#subscribed
  }

  onEnd (listener: (end: SessionEnd) => void): () => void {
    this.#events.on('end', listener)
    return () => this.#events.off('end', listener)
  }

  /** Any instance may sweep; each end happens once. */
  async sweep (): Promise<void> {
    const { keys } = this.#redis
    try {
      const messages = await this.#call('sweep', this.#redis.client.heroSessionSweep(
        keys.sessionDeadlines,
        this.#testTime(), this.#timeouts.idleTimeoutMs, this.#timeouts.absoluteTimeoutMs,
        keys.sessionPrefix, keys.userSessionsPrefix, keys.sessionEnds, this.#instanceId, SWEEP_BATCH
      ))
      for (const message of messages) this.#report(message, 'local')
    } catch (err) {
      this.#log.debug(
        { event: 'session_sweep_failed', err: { message: (err as Error).message } },
        'session sweep failed; the next one retries'
      )
    }
  }

  async close (): Promise<void> {
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer)
    this.#unsubscribe()
    this.#events.removeAllListeners()
  }

  async #end (key: string, reason: SessionEndReason | 'expiry'): Promise<void> {
    const { keys } = this.#redis
    const message = await this.#call('end', this.#redis.client.heroSessionEnd(
      keys.session(key), keys.sessionDeadlines,
      key, reason, this.#testTime(), this.#timeouts.idleTimeoutMs, this.#timeouts.absoluteTimeoutMs,
      keys.userSessionsPrefix, keys.sessionEnds, this.#instanceId
    ))
    if (message !== null) this.#report(message, 'local')
  }

  /** The scripts' `test time` argument: '' (Redis's TIME decides) unless a test gave its clock. */
  #testTime (): string | number {
    return this.#testClock === undefined ? '' : this.#testClock()
  }

  /** Subscribes to the ends channel (again after every reconnect); returns the unsubscribe. */
  #listen (): () => void {
    const { subscriber, keys } = this.#redis
    const channel = keys.sessionEnds
    const onMessage = (from: string, message: string): void => {
      if (from === channel) this.#report(message, 'publish')
    }
    const onClose = (): void => { this.#subscribed = false }
    subscriber.on('message', onMessage)
    subscriber.on('close', onClose)
    const subscribe = (): void => {
      subscriber.subscribe(channel).then(() => { this.#subscribed = true }, (err: unknown) => {
        this.#log.warn(
          { event: 'session_ends_subscribe_failed', err: { message: (err as Error).message } },
          'could not subscribe to session ends; retrying at the next reconnect'
        )
      })
    }
    subscribe()
    const offReady = this.#redis.onSubscriberReady(subscribe)
    return () => {
      offReady()
      subscriber.off('message', onMessage)
      subscriber.off('close', onClose)
    }
  }

  /** Reports one end message: ours at once ('local'), another instance's when heard ('publish'). */
  #report (text: string, source: SessionEnd['source']): void {
    const end = parseEnd(text)
    if (end === undefined) {
      this.#log.warn({ event: 'session_end_unreadable' }, 'ignored a session-ends message that is not ours')
      return
    }
    if (source === 'publish' && end.origin === this.#instanceId) return
    this.#events.emit('end', { session: end.session, reason: end.reason, source } satisfies SessionEnd)
  }

  /** Awaits a Redis call: measured, and any failure made StoreUnavailableError. */
  async #call<T> (operation: string, pending: Promise<T>): Promise<T> {
    return await this.#redis.timed(`session_${operation}`, pending)
  }
}

/** A session-ends message, checked field by field (the channel is shared with anyone on this Redis). */
function parseEnd (text: string): { session: Session, reason: SessionEndReason, origin: string } | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { key, username, credential, createdAt, lastSeenAt, reason, origin } = value as Record<string, unknown>
  if (
    typeof key !== 'string' || !isSessionKeyShape(key) || typeof username !== 'string' ||
    typeof credential !== 'string' || typeof createdAt !== 'number' || typeof lastSeenAt !== 'number' ||
    typeof origin !== 'string' || !isEndReason(reason)
  ) return undefined
  return { session: { key, username, credential, createdAt, lastSeenAt }, reason, origin }
}
