// Redis is not open to whoever reaches it: a real redis-server started from deploy/redis/redis.conf
// (its users as shipped, only the password hash the test's own), TLS only, with a certificate from
// a private CA. Two instances log in as the service's ACL user (REDIS_USERNAME, REDIS_PASSWORD_FILE,
// REDIS_CA_FILE) and run every Redis path end to end (login and rate limits, a socket and its slot,
// a logout published to the other instance), and Redis denies none of their commands (ACL LOG is
// empty). A client without the password, or without TLS, gets nothing; the service's user cannot
// reach beyond its keys and commands; a wrong password or an untrusted CA serves nobody.
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { Redis, type RedisOptions } from 'ioredis'
import { startCluster, waitForRedis } from '../../helpers/cluster.js'
import { HeroClient, waitUntil } from '../../helpers/hero-client.js'
import { startDeployRedis, type DeployRedis } from '../../helpers/deploy-redis.js'
import { postForm, postLogin, sessionIdOf } from '../../helpers/http.js'
import { createPrivateCa, type PrivateCa } from '../../helpers/private-ca.js'
import { startTestServer } from '../../helpers/test-server.js'

interface AclRedis extends DeployRedis {
  readonly ca: PrivateCa
}

/** deploy/redis/redis.conf, TLS only, with a certificate from a private CA; the instances' prefix is the file's. */
async function startAclRedis (t: Test): Promise<AclRedis> {
  const ca = createPrivateCa(t.testdir({}))
  const deployed = await startDeployRedis(t, ca)
  return { ...deployed, ca, env: { ...deployed.env, REDIS_KEY_PREFIX: 'hero-socket:' } }
}

/** A client of `redis` that connects with `options` only; its first reply, or the error it got. */
async function firstReply (url: string, options: RedisOptions, command: string[]): Promise<string> {
  const client = new Redis(
    url,
    {
      ...options,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      disableClientInfo: true
    }
  )
  // A refused AUTH closes the connection: the reason is in the 'error' event, not the command's error.
  const errors: string[] = []
  client.on('error', (err: Error) => errors.push(err.message))
  try {
    await client.connect()
    return String(await client.call(command[0] ?? 'PING', ...command.slice(1)))
  } catch (err) {
    return [...errors, (err as Error).message].join(' / ')
  } finally {
    client.disconnect()
  }
}

t.test('two instances as deploy/redis/redis.conf\'s ACL user over TLS: a login, a socket, a logout, and Redis ' +
  'denies nothing', async (t) => {
  const acl = await startAclRedis(t)
  const admin = acl.redis.client(t)
  await admin.acl('LOG', 'RESET')
  const cluster = await startCluster(t, 2, acl.env, acl.redis)
  const [a, b] = cluster.instances
  if (a === undefined || b === undefined) return

  const sid = await a.login()
  t.equal((await admin.keys('hero-socket:session:*')).length, 1, 'the session is in Redis, under the prefix')
  const wrong = await postLogin(b, undefined, 'not the password')
  t.equal(wrong.status, 401, 'a wrong password is refused as usual (the login limits counted in Redis)')
  t.ok((await admin.keys('hero-socket:rate-limits:*')).length > 0, 'rate-limit counters are in Redis')

  const client = await HeroClient.open(t, b, sid)
  t.match(await client.next(), { type: 'user_authorized' }, 'a socket on the other instance')
  t.match(await client.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' }, 'and it answers')
  t.equal((await admin.keys('hero-socket:user-sockets:*')).length, 1, 'its slot is leased in Redis')
  t.equal((await b.sessions.listUser('alice')).length, 1, 'the user\'s sessions are listed')

  t.equal(
    (await postForm(a, '/logout', {}, { cookie: `__Host-sid=${sid}` })).status,
    303,
    'logged out on the first instance'
  )
  t.equal((await client.closed()).code, 4401, 'the socket on the other closes at once: the end was published and heard')
  await a.sweepSessions()
  const second = sessionIdOf(await postLogin(a))
  t.ok(second, 'and a new login works')

  const denied = await admin.acl('LOG') as unknown[]
  t.same(denied, [], 'Redis denied the service nothing: every command it sent is in deploy/redis/redis.conf')
  t.same(a.logs.entries().filter((e) => e.event === 'redis_unreachable'), [], 'no outage was logged')
})

t.test('nobody else gets in: no password, no TLS, another user\'s keys or commands', async (t) => {
  const acl = await startAclRedis(t)
  const port = new URL(acl.redis.url).port
  const ca = fs.readFileSync(acl.ca.caFile, 'utf8')
  t.match(
    await firstReply(acl.redis.url, { tls: { ca } }, ['SET', 'hero-socket:session:x', 'forged']),
    /NOAUTH|WRONGPASS|NOPERM/,
    'without a password: nothing (default is off)'
  )
  t.match(
    await firstReply(`redis://127.0.0.1:${port}`, { username: 'hero-socket', password: acl.password }, ['PING']),
    /closed|ECONNRESET|Connection|timeout|ETIMEDOUT/i,
    'without TLS: no answer'
  )
  t.match(
    await firstReply(acl.redis.url, { tls: { ca }, username: 'hero-socket', password: 'guessed' }, ['PING']),
    /WRONGPASS/,
    'a wrong password: refused'
  )
  const asService = { tls: { ca }, username: 'hero-socket', password: acl.password }
  t.equal(
    await firstReply(acl.redis.url, asService, ['PING']),
    'PONG',
    'the service\'s user and password, over TLS: answered'
  )
  for (const command of [
    ['KEYS', '*'],
    ['FLUSHALL'],
    ['CONFIG', 'GET', 'requirepass'],
    ['ACL', 'LIST'],
    ['SET', 'hero-socket:x', '1'],
    ['HSET', 'other-app:x', 'u', 'alice'],
    ['EVAL', "return redis.call('SET', KEYS[1], 'x')", '1', 'hero-socket:x']
  ]) {
    t.match(
      await firstReply(acl.redis.url, asService, command),
      /NOPERM|can't run this command/,
      `the service's user may not ${command.slice(0, 2).join(' ')}`
    )
  }
})

t.test('a wrong password or an untrusted certificate serves nobody, and says why once', async (t) => {
  const acl = await startAclRedis(t)
  const wrongFile = path.join(path.dirname(acl.passwordFile), 'wrong-password')
  fs.writeFileSync(wrongFile, 'not-the-password\n', { mode: 0o600 })
  for (const [name, env] of [
    ['a wrong password', { ...acl.env, REDIS_PASSWORD_FILE: wrongFile }],
    ['no CA file: the private CA is not trusted', { ...acl.env, REDIS_CA_FILE: '' }]
  ] as const) {
    const server = await startTestServer(t, env)
    await waitUntil(
      () => server.logs.entries().some((e) => e.event === 'redis_unreachable'),
      `${name}: the outage to be logged`
    )
    t.equal(
      (await postLogin(server)).status,
      503,
      `${name}: a login gets 503, nobody is served from an unchecked store`
    )
    t.equal(server.app.services.stores.health?.reachable, false)
  }
  const good = await startTestServer(t, acl.env)
  await waitForRedis(good)
  t.equal((await postLogin(good)).status, 303, 'the right password and CA: served')
})
