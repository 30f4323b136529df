// The Lua scripts of the Redis rate-limit store. A window is a hash (n: the requests counted,
// s: when the window started) and every time the scripts compare or write is Redis's own (TIME,
// epoch ms), like the session scripts': no instance's clock decides when a window ends. A window
// runs while 0 <= now - s < its length; a Redis clock stepped back starts a new window rather than
// stretching one, and the key expires with its window (PEXPIRE), so none outlives it. Each
// script's `test time` argument is '' but in tests, which pass their own clock there.
import type { Redis, Result } from 'ioredis'

// clock(fixed): Redis's time in epoch ms, or `fixed` when a test gave one.
const PRELUDE = `
local function clock (fixed)
  if fixed ~= '' then return tonumber(fixed) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local now = clock(ARGV[2])
local window = tonumber(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'n', 's')
local n = tonumber(f[1])
local s = tonumber(f[2])
local live = n ~= nil and s ~= nil and now >= s and now - s < window
`

const SCRIPTS = Object.freeze({
  // KEYS: the counter. ARGV: window ms, test time. Counts one request: { count, ms left }.
  heroRateLimitIncr: {
    numberOfKeys: 1,
    lua: PRELUDE + `
if not live then
  n = 0
  s = now
  redis.call('DEL', KEYS[1])
end
n = n + 1
redis.call('HSET', KEYS[1], 'n', n, 's', string.format('%d', s))
if n == 1 then redis.call('PEXPIRE', KEYS[1], window) end
return { n, s + window - now }`
  },
  // KEYS: the counter. ARGV: window ms, test time. Counts nothing: { count, ms left }, { 0, 0 } without a window.
  heroRateLimitRead: {
    numberOfKeys: 1,
    lua: PRELUDE + `
if not live then return { 0, 0 } end
return { n, s + window - now }`
  }
})

declare module 'ioredis' {
  interface RedisCommander<Context> {
    heroRateLimitIncr (key: string, windowMs: number, testTime: string | number): Result<[number, number], Context>
    heroRateLimitRead (key: string, windowMs: number, testTime: string | number): Result<[number, number], Context>
  }
}

/** Defines the scripts on `client` as commands (once per client). */
export function defineRateLimitScripts (client: Redis): void {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    if (!(name in client)) client.defineCommand(name, script)
  }
}
