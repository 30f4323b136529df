// The Lua scripts of the Redis session store. Each change to a session runs as one script, so it
// is atomic across instances: a session ends exactly once, and only the instance whose script
// ended it reports it locally; every other instance hears it on the session-ends channel. Times
// are the callers' clocks (epoch ms, passed in), so every instance applies the same expiry rules.
import type { Redis, Result } from 'ioredis'

// Lua turns numbers into strings as %.14g; every number written goes through %d instead.
const INT = `
local function int (x) return string.format('%d', x) end
`

// Ends one session if it exists (and, for reason 'expiry', only if it has expired at \`now\`),
// and publishes its end. Returns the end message, or false.
const END_SESSION = `
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
  local message = cjson.encode({ key = key, username = f[1], credential = f[4] or '', createdAt = c, lastSeenAt = s, reason = reason, origin = origin })
  redis.call('PUBLISH', channel, message)
  return message
end
`

/** The scripts by command name: Lua source and how many of its arguments are keys. */
const SESSION_SCRIPTS = Object.freeze({
  // KEYS: session, user's sessions, deadlines. ARGV: key, username, now, idle, absolute, grace, credential.
  heroSessionCreate: {
    numberOfKeys: 3,
    lua: INT + `
local now = tonumber(ARGV[3])
local deadline = now + math.min(tonumber(ARGV[4]), tonumber(ARGV[5]))
redis.call('HSET', KEYS[1], 'u', ARGV[2], 'c', ARGV[3], 's', ARGV[3], 'p', ARGV[7])
redis.call('PEXPIRE', KEYS[1], int(deadline - now + tonumber(ARGV[6])))
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], int(tonumber(ARGV[5]) + tonumber(ARGV[6])))
redis.call('ZADD', KEYS[3], int(deadline), ARGV[1])
return 1`
  },
  // KEYS: session, deadlines. ARGV: key, now, idle, absolute, grace. 1 touched, 0 unknown, -1 expired.
  heroSessionTouch: {
    numberOfKeys: 2,
    lua: INT + `
local f = redis.call('HMGET', KEYS[1], 'c', 's')
if not f[1] then return 0 end
local c = tonumber(f[1])
local s = tonumber(f[2])
local now = tonumber(ARGV[2])
local idle = tonumber(ARGV[3])
local absolute = tonumber(ARGV[4])
if now - c >= absolute or now - s >= idle then return -1 end
if now < s then now = s end
local deadline = math.min(now + idle, c + absolute)
redis.call('HSET', KEYS[1], 's', int(now))
redis.call('ZADD', KEYS[2], int(deadline), ARGV[1])
redis.call('PEXPIRE', KEYS[1], int(deadline - tonumber(ARGV[2]) + tonumber(ARGV[5])))
return 1`
  },
  // KEYS: session, deadlines. ARGV: key, reason ('expiry': only if expired), now, idle, absolute,
  // user-sessions prefix, channel, origin. The end message, or nil when nothing ended.
  heroSessionEnd: {
    numberOfKeys: 2,
    lua: END_SESSION + `
return end_session(KEYS[1], KEYS[2], ARGV[6], ARGV[7], ARGV[8], ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]))`
  },
  // KEYS: user's sessions, deadlines. ARGV: reason, now, idle, absolute, session prefix,
  // user-sessions prefix, channel, origin. The end messages.
  heroSessionEndUser: {
    numberOfKeys: 2,
    lua: END_SESSION + `
local ended = {}
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local message = end_session(ARGV[5] .. key, KEYS[2], ARGV[6], ARGV[7], ARGV[8], key, ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
  if message then table.insert(ended, message) end
end
redis.call('DEL', KEYS[1])
return ended`
  },
  // KEYS: deadlines. ARGV: now, idle, absolute, session prefix, user-sessions prefix, channel,
  // origin, most to end. Ends the sessions whose deadline has passed; the end messages.
  heroSessionSweep: {
    numberOfKeys: 1,
    lua: END_SESSION + `
local ended = {}
local now = tonumber(ARGV[1])
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[8]))) do
  local message = end_session(ARGV[4] .. key, KEYS[1], ARGV[5], ARGV[6], ARGV[7], key, 'expiry', now, tonumber(ARGV[2]), tonumber(ARGV[3]))
  if message then table.insert(ended, message) end
end
return ended`
  },
  // KEYS: user's sessions. ARGV: session prefix. Flat key, username, created, last seen, credential
  // of each; members whose session is gone are dropped from the set.
  heroSessionsOfUser: {
    numberOfKeys: 1,
    lua: `
local out = {}
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', ARGV[1] .. key, 'u', 'c', 's', 'p')
  if f[1] then
    table.insert(out, key)
    table.insert(out, f[1])
    table.insert(out, f[2])
    table.insert(out, f[3])
    table.insert(out, f[4] or '')
  else
    redis.call('SREM', KEYS[1], key)
  end
end
return out`
  }
})

type Arg = string | number

declare module 'ioredis' {
  interface RedisCommander<Context> {
    heroSessionCreate (session: string, userSessions: string, deadlines: string, ...args: Arg[]): Result<number, Context>
    heroSessionTouch (session: string, deadlines: string, ...args: Arg[]): Result<number, Context>
    heroSessionEnd (session: string, deadlines: string, ...args: Arg[]): Result<string | null, Context>
    heroSessionEndUser (userSessions: string, deadlines: string, ...args: Arg[]): Result<string[], Context>
    heroSessionSweep (deadlines: string, ...args: Arg[]): Result<string[], Context>
    heroSessionsOfUser (userSessions: string, ...args: Arg[]): Result<string[], Context>
  }
}

/** Defines the scripts as commands of `client` (once per client). */
export function defineSessionScripts (client: Redis): void {
  for (const [name, script] of Object.entries(SESSION_SCRIPTS)) {
    if (!(name in client)) client.defineCommand(name, script)
  }
}
