// The per-user socket cap across instances: each open socket holds a lease in its user's sorted
// set in Redis (member: instance and token; score: when the lease ends, in Redis's own time).
// Taking a slot drops expired leases and counts the rest in one script, so concurrent handshakes
// on any instances cannot overshoot. Each instance renews its leases every third of
// WS_CONNECTION_LEASE_S, and at once after a reconnect (re-adding them if Redis lost them), so a
// crashed instance's sockets stop counting within one lease.
import type { FastifyBaseLogger } from 'fastify'
import type { Redis, Result } from 'ioredis'
import type { RedisConnection } from '../redis/redis-connection.js'
import { SetMap } from './set-map.js'
import type { UserSlots } from './user-slots.js'

const NOW_MS = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)"

const SCRIPTS = Object.freeze({
  // KEYS: the user's sockets. ARGV: lease ms, max, member. 1 taken, 0 full.
  heroSlotAcquire: {
    numberOfKeys: 1,
    lua: NOW_MS + `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], string.format('%d', now + tonumber(ARGV[1])), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`
  },
  // KEYS: the user's sockets. ARGV: lease ms, members... Renews (or re-adds) each lease.
  heroSlotRenew: {
    numberOfKeys: 1,
    lua: NOW_MS + `
local score = string.format('%d', now + tonumber(ARGV[1]))
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], score, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return #ARGV - 1`
  },
  // KEYS: the user's sockets. The leases still running.
  heroSlotCount: {
    numberOfKeys: 1,
    lua: NOW_MS + `
return redis.call('ZCOUNT', KEYS[1], '(' .. string.format('%d', now), '+inf')`
  }
})

declare module 'ioredis' {
  interface RedisCommander<Context> {
    heroSlotAcquire (key: string, leaseMs: number, max: number, member: string): Result<number, Context>
    heroSlotRenew (key: string, leaseMs: number, ...members: string[]): Result<number, Context>
    heroSlotCount (key: string): Result<number, Context>
  }
}

function defineScripts (client: Redis): void {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    if (!(name in client)) client.defineCommand(name, script)
  }
}

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
    defineScripts(redis.client)
    this.#timer = setInterval(() => { void this.renew() }, Math.max(100, Math.floor(this.#leaseMs / 3)))
    this.#timer.unref()
    this.#offReconnect = redis.onReconnect(() => { void this.renew() })
  }

  async acquire (username: string, max: number): Promise<string | undefined> {
    const member = `${this.#instanceId}:${this.#next++}`
    let taken: number
    try {
      taken = await this.#redis.timed('slot_acquire', this.#redis.client.heroSlotAcquire(this.#redis.keys.userSockets(username), this.#leaseMs, max, member))
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
    this.#redis.timed('slot_release', this.#redis.client.zrem(this.#redis.keys.userSockets(username), token)).catch((err: unknown) => {
      this.#log.warn({ event: 'socket_slot_not_released', err: { message: (err as Error).message } }, 'could not give back a socket slot; its lease ages out')
    })
  }

  async count (username: string): Promise<number> {
    return await this.#redis.timed('slot_count', this.#redis.client.heroSlotCount(this.#redis.keys.userSockets(username)))
  }

  /** Renews every lease this instance holds (also runs on its timer and after reconnects). */
  async renew (): Promise<void> {
    for (const username of [...this.#orphans.keys()]) {
      const members = this.#orphans.take(username)
      this.#redis.timed('slot_release', this.#redis.client.zrem(this.#redis.keys.userSockets(username), ...members)).catch(() => {
        for (const member of members) this.#orphans.add(username, member)
      })
    }
    const renewals = [...this.#held.entries()].map(async ([username, members]) => {
      await this.#redis.timed('slot_renew', this.#redis.client.heroSlotRenew(this.#redis.keys.userSockets(username), this.#leaseMs, ...members))
    })
    const failed = (await Promise.allSettled(renewals)).filter((r) => r.status === 'rejected').length
    if (failed > 0) this.#log.warn({ event: 'socket_slots_not_renewed', users: failed }, 'could not renew socket leases; retrying')
  }

  async close (): Promise<void> {
    clearInterval(this.#timer)
    this.#offReconnect()
  }
}
