// The Lua scripts of the Redis user slots. Taking a slot drops expired leases and counts the rest
// in one script, so concurrent handshakes on any instances cannot overshoot; every lease's end is
// written and compared in Redis's own time (TIME, epoch ms), never an instance's clock.
import type { Redis, Result } from 'ioredis'

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

/** Defines the scripts on `client` as commands (once per client). */
export function defineUserSlotScripts (client: Redis): void {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    if (!(name in client)) client.defineCommand(name, script)
  }
}
