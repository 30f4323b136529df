// The per-user socket cap across instances: each open socket holds a lease in its user's sorted
// set in Redis (member: instance and token; score: when the lease ends, in Redis's own time).
// Taking a slot drops expired leases and counts the rest in one script (redis-user-slot-scripts.ts),
// so concurrent handshakes on any instances cannot overshoot. Each instance renews its leases
// every third of WS_CONNECTION_LEASE_S, and at once after a reconnect (re-adding them if Redis
// lost them), so a crashed instance's sockets stop counting within one lease.
import type { FastifyBaseLogger } from 'fastify'
import type { RedisConnection } from '../redis/redis-connection.js'
import { SetMap } from '../set-map.js'
import { defineUserSlotScripts } from './redis-user-slot-scripts.js'
import type { UserSlots } from './user-slots.js'

export class RedisUserSlots implements UserSlots {
  readonly #redis: RedisConnection
  readonly #leaseMs: number
  readonly #instanceId: string
  readonly #log: FastifyBaseLogger
  /** The members this instance holds, by username. */
  readonly #held = new SetMap<string, string>()
  /** Members whose acquire failed (it may still run late, after a stall): removed at the next renewal. */
  readonly #orphans = new SetMap<string, string>()
  readonly #timer: NodeJS.Timeout
  readonly #offReconnect: () => void
  #next = 0

  constructor (redis: RedisConnection, options: { leaseMs: number, instanceId: string, log: FastifyBaseLogger }) {
    this.#redis = redis
    this.#leaseMs = options.leaseMs
    this.#instanceId = options.instanceId
    this.#log = options.log
    defineUserSlotScripts(redis.client)
    this.#timer = setInterval(() => { void this.renew() }, Math.max(100, Math.floor(this.#leaseMs / 3)))
    this.#timer.unref()
    this.#offReconnect = redis.onReconnect(() => { void this.renew() })
  }

  async acquire (username: string, max: number): Promise<string | undefined> {
    const member = `${this.#instanceId}:${this.#next++}`
    let taken: number
    try {
      taken = await this.#redis.timed(
        'slot_acquire',
        this.#redis.client.heroSlotAcquire(this.#redis.keys.userSockets(username), this.#leaseMs, max, member)
      )
    } catch (err) {
      this.#orphans.add(username, member)
      throw err
    }
    if (taken !== 1) return undefined
    this.#held.add(username, member)
    return member
  }

  release (username: string, token: string): void {
    this.#held.delete(username, token)
    const key = this.#redis.keys.userSockets(username)
    const released = this.#redis.timed('slot_release', this.#redis.client.zrem(key, token))
    released.catch((err: unknown) => {
      this.#log.warn(
        { event: 'socket_slot_not_released', err: { message: (err as Error).message } },
        'could not give back a socket slot; its lease ages out'
      )
    })
  }

  async count (username: string): Promise<number> {
    return await this.#redis.timed(
      'slot_count',
      this.#redis.client.heroSlotCount(this.#redis.keys.userSockets(username))
    )
  }

  /** Renews every lease this instance holds (also runs on its timer and after reconnects). */
  async renew (): Promise<void> {
    for (const username of [...this.#orphans.keys()]) {
      const members = this.#orphans.take(username)
      const released = this.#redis.timed(
        'slot_release',
        this.#redis.client.zrem(this.#redis.keys.userSockets(username), ...members)
      )
      released.catch(() => {
        for (const member of members) this.#orphans.add(username, member)
      })
    }
    const renewals = [...this.#held.entries()].map(async ([username, members]) => {
      await this.#redis.timed(
        'slot_renew',
        this.#redis.client.heroSlotRenew(this.#redis.keys.userSockets(username), this.#leaseMs, ...members)
      )
    })
    const failed = (await Promise.allSettled(renewals)).filter((r) => r.status === 'rejected').length
    if (failed > 0) {
      this.#log.warn(
        { event: 'socket_slots_not_renewed', users: failed },
        'could not renew socket leases; retrying'
      )
    }
  }

  async close (): Promise<void> {
    clearInterval(this.#timer)
    this.#offReconnect()
  }
}
