// The Lua scripts of the Redis session store. Each change to a session runs as one script, so it
// is atomic across instances: a session ends exactly once, and only the instance whose script
// ended it reports it locally; every other instance hears it on the session-ends channel. Every
// time a script compares or writes is Redis's own (TIME, epoch ms), never an instance's clock: an
// instance whose clock jumps (a VM resuming, an NTP step) can neither end the sessions of the
// others nor create sessions they think idle. Each script's `test time` argument is '' but in
// tests, which pass their own clock there so expiry can be moved by hand without sleeping.
import type { Redis, Result } from 'ioredis'

// Lua turns numbers into strings as %.14g; every number written goes through %d instead.
// clock(fixed): Redis's time in epoch ms, or `fixed` when a test gave one.
const PRELUDE = `
local function int (x) return string.format('%d', x) end
local function clock (fixed)
  if fixed ~= '' then return tonumber(fixed) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function expired (c, s, now, idle, absolute)
  return now - c >= absolute or now - s >= idle
end
`

// Ends one session if it exists (and, for reason 'expiry', only if it has expired at \`now\`),
// and publishes its end. Returns the end message, or false.
const END_SESSION = PRELUDE + `
local function end_session (hash, deadlines, user_prefix, channel, origin, key, reason, now, idle, absolute)
  local f = redis.call('HMGET', hash, 'u', 'c', 's', 'p')
  if not f[1] then
    redis.call('ZREM', deadlines, key)
    return false
  end
  local c = tonumber(f[2])
  local s = tonumber(f[3])
  if reason == 'expiry' then
    if now - c >= absolute then reason = 'absolute_timeout'
    elseif now - s >= idle then reason = 'idle_timeout'
    else return false end
  end
  redis.call('DEL', hash)
  redis.call('ZREM', deadlines, key)
  redis.call('SREM', user_prefix .. f[1], key)
  local message = cjson.encode({
    key = key, username = f[1], credential = f[4] or '', createdAt = c, lastSeenAt = s, reason = reason, origin = origin
  })
  redis.call('PUBLISH', channel, message)
  return message
end
`

/** The scripts by command name: Lua source and how many of its arguments are keys. */
const SESSION_SCRIPTS = Object.freeze({
  // KEYS: session, user's sessions, deadlines. ARGV: key, username, test time, idle, absolute,
  // grace, credential. The creation time (Redis's).
  heroSessionCreate: {
    numberOfKeys: 3,
    lua: PRELUDE + `
local now = clock(ARGV[3])
local deadline = now + math.min(tonumber(ARGV[4]), tonumber(ARGV[5]))
redis.call('HSET', KEYS[1], 'u', ARGV[2], 'c', int(now), 's', int(now), 'p', ARGV[7])
redis.call('PEXPIRE', KEYS[1], int(deadline - now + tonumber(ARGV[6])))
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], int(tonumber(ARGV[5]) + tonumber(ARGV[6])))
redis.call('ZADD', KEYS[3], int(deadline), ARGV[1])
return now`
  },
  // KEYS: session, deadlines. ARGV: key, test time, idle, absolute, user-sessions prefix, channel,
  // origin. { 'live', username, created, last seen, credential }, { 'ended', end message } when it
  // had expired (it is ended now), or {} when there is none.
  heroSessionGet: {
    numberOfKeys: 2,
    lua: END_SESSION + `
local f = redis.call('HMGET', KEYS[1], 'u', 'c', 's', 'p')
if not f[1] then return {} end
local now = clock(ARGV[2])
local idle = tonumber(ARGV[3])
local absolute = tonumber(ARGV[4])
if not expired(tonumber(f[2]), tonumber(f[3]), now, idle, absolute) then
  return { 'live', f[1], f[2], f[3], f[4] or '' }
end
local message = end_session(KEYS[1], KEYS[2], ARGV[5], ARGV[6], ARGV[7], ARGV[1], 'expiry', now, idle, absolute)
if message then return { 'ended', message } end
return {}`
  },
  // KEYS: session, deadlines. ARGV: key, test time, idle, absolute, grace. 1 touched, 0 unknown, -1 expired.
  heroSessionTouch: {
    numberOfKeys: 2,
    lua: PRELUDE + `
local f = redis.call('HMGET', KEYS[1], 'c', 's')
if not f[1] then return 0 end
local c = tonumber(f[1])
local s = tonumber(f[2])
local now = clock(ARGV[2])
local idle = tonumber(ARGV[3])
local absolute = tonumber(ARGV[4])
if expired(c, s, now, idle, absolute) then return -1 end
local seen = math.max(now, s)
local deadline = math.min(seen + idle, c + absolute)
redis.call('HSET', KEYS[1], 's', int(seen))
redis.call('ZADD', KEYS[2], int(deadline), ARGV[1])
redis.call('PEXPIRE', KEYS[1], int(deadline - now + tonumber(ARGV[5])))
return 1`
  },
  // KEYS: session, deadlines. ARGV: key, reason ('expiry': only if expired), test time, idle, absolute,
  // user-sessions prefix, channel, origin. The end message, or nil when nothing ended.
  heroSessionEnd: {
    numberOfKeys: 2,
    lua: END_SESSION + `
return end_session(KEYS[1], KEYS[2], ARGV[6], ARGV[7], ARGV[8], ARGV[1], ARGV[2], clock(ARGV[3]),
  tonumber(ARGV[4]), tonumber(ARGV[5]))`
  },
  // KEYS: user's sessions, deadlines. ARGV: reason, test time, idle, absolute, session prefix,
  // user-sessions prefix, channel, origin. The end messages.
  heroSessionEndUser: {
    numberOfKeys: 2,
    lua: END_SESSION + `
local ended = {}
local now = clock(ARGV[2])
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local message = end_session(ARGV[5] .. key, KEYS[2], ARGV[6], ARGV[7], ARGV[8], key, ARGV[1], now,
    tonumber(ARGV[3]), tonumber(ARGV[4]))
  if message then table.insert(ended, message) end
end
redis.call('DEL', KEYS[1])
return ended`
  },
  // KEYS: deadlines. ARGV: test time, idle, absolute, session prefix, user-sessions prefix, channel,
  // origin, most to end. Ends the sessions whose deadline has passed; the end messages.
  heroSessionSweep: {
    numberOfKeys: 1,
    lua: END_SESSION + `
local ended = {}
local now = clock(ARGV[1])
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', int(now), 'LIMIT', 0, tonumber(ARGV[8]))) do
  local message = end_session(ARGV[4] .. key, KEYS[1], ARGV[5], ARGV[6], ARGV[7], key, 'expiry', now,
    tonumber(ARGV[2]), tonumber(ARGV[3]))
  if message then table.insert(ended, message) end
end
return ended`
  },
  // KEYS: user's sessions. ARGV: session prefix, test time, idle, absolute. Flat key, username,
  // created, last seen, credential of each live one; members whose session is gone are dropped
  // from the set (expired ones are left to the sweep, which reports their end).
  heroSessionsOfUser: {
    numberOfKeys: 1,
    lua: PRELUDE + `
local out = {}
local now = clock(ARGV[2])
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', ARGV[1] .. key, 'u', 'c', 's', 'p')
  if not f[1] then
    redis.call('SREM', KEYS[1], key)
  elseif not expired(tonumber(f[2]), tonumber(f[3]), now, tonumber(ARGV[3]), tonumber(ARGV[4])) then
    table.insert(out, key)
    table.insert(out, f[1])
    table.insert(out, f[2])
    table.insert(out, f[3])
    table.insert(out, f[4] or '')
  end
end
return out`
  },
  // KEYS: deadlines. ARGV: test time, session keys... The keys whose deadline is still ahead.
  heroSessionsLive: {
    numberOfKeys: 1,
    lua: PRELUDE + `
local live = {}
local now = clock(ARGV[1])
for i = 2, #ARGV do
  local deadline = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if deadline and tonumber(deadline) > now then table.insert(live, ARGV[i]) end
end
return live`
  }
})

type Arg = string | number

declare module 'ioredis' {
  interface RedisCommander<Context> {
    heroSessionCreate (
      session: string, userSessions: string, deadlines: string, ...args: Arg[]
    ): Result<number, Context>
    heroSessionGet (session: string, deadlines: string, ...args: Arg[]): Result<string[], Context>
    heroSessionTouch (session: string, deadlines: string, ...args: Arg[]): Result<number, Context>
    heroSessionEnd (session: string, deadlines: string, ...args: Arg[]): Result<string | null, Context>
    heroSessionEndUser (userSessions: string, deadlines: string, ...args: Arg[]): Result<string[], Context>
    heroSessionSweep (deadlines: string, ...args: Arg[]): Result<string[], Context>
    heroSessionsOfUser (userSessions: string, ...args: Arg[]): Result<string[], Context>
    heroSessionsLive (deadlines: string, ...args: Arg[]): Result<string[], Context>
  }
}

/** Defines the scripts as commands of `client` (once per client). */
export function defineSessionScripts (client: Redis): void {
  for (const [name, script] of Object.entries(SESSION_SCRIPTS)) {
    if (!(name in client)) client.defineCommand(name, script)
  }
}
