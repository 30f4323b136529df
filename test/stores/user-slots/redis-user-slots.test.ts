// RedisUserSlots against a real redis-server: the user-slots contract, then what is its own:
// two instances share one cap; an instance that stops renewing (a crash) stops counting within
// one lease, while a live one keeps its slots past many leases; a slot lost with an emptied Redis
// is put back at the next renewal; a Redis that does not answer fails acquire and count with
// StoreUnavailableError, and a release then never throws.
import t, { type Test } from 'tap'
import { StoreUnavailableError } from '../../../src/errors.js'
import { createLogger } from '../../../src/logging/logger.js'
import { RedisConnection } from '../../../src/stores/redis/redis-connection.js'
import { RedisUserSlots } from '../../../src/stores/user-slots/redis-user-slots.js'
import { waitUntil } from '../../helpers/hero-client.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { userSlotsContract } from './user-slots-contract.js'

const redis = await RedisServer.start(t)
let prefixes = 0

async function connection (t: Test, prefix: string): Promise<RedisConnection> {
  const conn = new RedisConnection(
    { url: redis.url, keyPrefix: prefix, timeoutMs: 300 },
    createLogger('silent'),
    'test'
  )
  t.teardown(() => conn.close())
  await waitUntil(() => conn.reachable, 'the connection to Redis')
  return conn
}

function slotsOn (t: Test, conn: RedisConnection, instanceId: string, leaseMs = 30_000): RedisUserSlots {
  const slots = new RedisUserSlots(conn, { leaseMs, instanceId, log: createLogger('silent') })
  t.teardown(() => slots.close())
  return slots
}

t.test('the user-slots contract', async (t) => {
  userSlotsContract(t, async (t) => slotsOn(t, await connection(t, `contract-${prefixes++}:`), 'contract'))
})

t.test('two instances on one Redis share one cap', async (t) => {
  const prefix = `pair-${prefixes++}:`
  const a = slotsOn(t, await connection(t, prefix), 'A')
  const b = slotsOn(t, await connection(t, prefix), 'B')
  const onA = await a.acquire('alice', 3)
  await a.acquire('alice', 3)
  t.type(await b.acquire('alice', 3), 'string', 'B takes the third')
  t.equal(await b.acquire('alice', 3), undefined, 'a fourth on B is refused')
  t.equal(await a.acquire('alice', 3), undefined, 'and on A')
  t.equal(await b.count('alice'), 3)
  if (onA !== undefined) a.release('alice', onA)
  await waitUntil(async () => await b.count('alice') === 2, 'A\'s release to reach Redis')
  t.type(await b.acquire('alice', 3), 'string', 'a slot freed on A is free on B')
})

t.test('leases: a stopped instance stops counting within one lease; a live one renews past many', async (t) => {
  const prefix = `lease-${prefixes++}:`
  const live = slotsOn(t, await connection(t, prefix), 'live', 1000)
  const crashed = slotsOn(t, await connection(t, prefix), 'crashed', 1000)
  await live.acquire('alice', 2)
  await crashed.acquire('alice', 2)
  t.equal(await live.acquire('alice', 2), undefined, 'full')
  await crashed.close() // its renewal timer stops: as good as a crash for the lease
  const stoppedAt = Date.now()
  await waitUntil(async () => await live.count('alice') === 1, 'the stopped instance\'s lease to run out', 5000)
  t.ok(Date.now() - stoppedAt < 2500, `gone within about one lease (${Date.now() - stoppedAt} ms)`)
  await new Promise((resolve) => setTimeout(resolve, 3000)) // three leases
  t.equal(await live.count('alice'), 1, 'the live instance\'s slot outlived three leases')
  t.type(await live.acquire('alice', 2), 'string', 'and the freed slot is taken')
})

t.test('a Redis emptied under a live instance gets its leases back at the next renewal', async (t) => {
  const conn = await connection(t, `flush-${prefixes++}:`)
  const slots = slotsOn(t, conn, 'A')
  await slots.acquire('alice', 5)
  await slots.acquire('alice', 5)
  await conn.client.flushall()
  t.equal(await slots.count('alice'), 0, 'emptied')
  await slots.renew()
  t.equal(await slots.count('alice'), 2, 'both leases are back')
})

t.test('a Redis that does not answer: acquire and count fail fast with StoreUnavailableError, release never ' +
  'throws', async (t) => {
  const own = await RedisServer.start(t)
  const conn = new RedisConnection({ url: own.url, keyPrefix: 'down:', timeoutMs: 300 }, createLogger('silent'), 'test')
  t.teardown(() => conn.close())
  await waitUntil(() => conn.reachable, 'the connection to Redis')
  const slots = slotsOn(t, conn, 'A')
  const kept = await slots.acquire('alice', 5)
  const released = await slots.acquire('alice', 5)
  if (kept === undefined || released === undefined) throw new Error('no slots')
  own.pause()
  t.teardown(() => own.resume())
  const started = Date.now()
  await t.rejects(slots.acquire('alice', 5), StoreUnavailableError, 'acquire')
  await t.rejects(slots.count('alice'), StoreUnavailableError, 'count')
  t.ok(Date.now() - started < 2000, `within the timeout, not hanging (${Date.now() - started} ms)`)
  t.doesNotThrow(() => slots.release('alice', released), 'release')
  own.resume()
  await waitUntil(() => conn.reachable, 'Redis to answer again', 5000)
  await slots.renew()
  // Members are `<instance>:<n>`: the failed acquire was the third, whose script may still have run late.
  const members = await conn.client.zrange(conn.keys.userSockets('alice'), '0', '-1')
  t.ok(members.includes(kept), 'the held slot is still leased')
  t.notOk(members.includes('A:2'), `the failed acquire holds no slot once Redis answers (${members.join(', ')})`)
})
