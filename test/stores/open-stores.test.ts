// The one place a store backend is chosen: without REDIS_URL every store is in this process (no
// health probe, no reconnects, nothing to read at start-up); with it, every store is in Redis,
// with a health probe named `redis` that follows the connection, and close() lets go of it. And
// the seam holds: nothing under src/ outside src/stores/ imports ioredis or a Redis file.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/config.js'
import { createLogger } from '../../src/logging/logger.js'
import { openStores, readStoreSecrets } from '../../src/stores/open-stores.js'
import { MemoryRateLimitStore } from '../../src/stores/rate-limits/memory-rate-limit-store.js'
import { RedisRateLimitStore } from '../../src/stores/rate-limits/redis-rate-limit-store.js'
import { MemorySessionStore } from '../../src/stores/sessions/memory-session-store.js'
import { RedisSessionStore } from '../../src/stores/sessions/redis-session-store.js'
import type { StoreOptions } from '../../src/stores/stores.js'
import { MemoryUserSlots } from '../../src/stores/user-slots/memory-user-slots.js'
import { RedisUserSlots } from '../../src/stores/user-slots/redis-user-slots.js'
import { waitUntil } from '../helpers/hero-client.js'
import { ROOT } from '../helpers/http.js'
import { RedisServer } from '../helpers/redis-server.js'
import { TestClock } from '../helpers/test-server.js'

function options (): StoreOptions {
  const clock = new TestClock()
  return {
    now: clock.read,
    testClock: undefined,
    instanceId: 'test-instance',
    log: createLogger('silent'),
    observer: { call () {}, reconnected () {} }
  }
}

t.test('without REDIS_URL: every store in this process, nothing to probe or read', async (t) => {
  const config = loadConfig({ USERS_FILE: '/nonexistent/users.json' })
  t.equal(await readStoreSecrets(config), undefined, 'no files to read')
  const stores = openStores(config, undefined, options())
  t.teardown(() => stores.close())
  t.ok(stores.sessions instanceof MemorySessionStore, 'sessions')
  t.ok(stores.userSlots instanceof MemoryUserSlots, 'user slots')
  const RateLimits = stores.rateLimits
  t.ok(new RateLimits({}) instanceof MemoryRateLimitStore, 'rate-limit counters')
  t.equal(stores.health, undefined, 'no health probe: readiness has no store check')
  t.equal(stores.events, undefined, 'no reconnects')
})

t.test('with REDIS_URL: every store in Redis, a probe that follows the connection, close() lets go', async (t) => {
  const redis = await RedisServer.start(t)
  const config = loadConfig({
    USERS_FILE: '/nonexistent/users.json',
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: 'open-stores:'
  })
  const stores = openStores(config, await readStoreSecrets(config), options())
  let closed = false
  t.teardown(async () => { if (!closed) await stores.close() })
  t.ok(stores.sessions instanceof RedisSessionStore, 'sessions')
  t.ok(stores.userSlots instanceof RedisUserSlots, 'user slots')
  const RateLimits = stores.rateLimits
  t.ok(new RateLimits({}) instanceof RedisRateLimitStore, 'rate-limit counters')
  t.equal(stores.health?.name, 'redis', 'the readiness check is named redis')
  await waitUntil(() => stores.health?.listening === true, 'connected and subscribed')
  t.equal(stores.health?.reachable, true)
  let reconnects = 0
  stores.events?.onReconnect(() => { reconnects++ })
  redis.pause()
  t.teardown(() => { try { redis.resume() } catch {} })
  await waitUntil(() => stores.health?.reachable === false, 'the probe to see Redis stop answering', 5000)
  t.equal(stores.health?.listening, false, 'not listening either')
  redis.resume()
  await waitUntil(() => reconnects > 0, 'a reconnect reported', 10_000)
  await waitUntil(() => stores.health?.reachable === true, 'Redis answers again', 5000)
  await stores.close()
  closed = true
  const admin = redis.client(t)
  await waitUntil(
    async () => !(await admin.call('CLIENT', 'LIST') as string).includes('name=hero-socket:test-ins'),
    'its clients gone from Redis',
    5000
  )
  t.pass('close() closed both clients')
})

t.test('nothing under src/ outside src/stores/ imports ioredis or a Redis file', async (t) => {
  const src = path.join(ROOT, 'src')
  const outside = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return full === path.join(src, 'stores') ? [] : outside(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
  const files = outside(src)
  t.ok(files.length > 50, `${files.length} files read`)
  const offenders = files.filter((file) => /from '(ioredis|[^']*\/redis[-/][^']*)'/.test(fs.readFileSync(file, 'utf8')))
  t.same(offenders.map((file) => path.relative(ROOT, file)), [])
})
