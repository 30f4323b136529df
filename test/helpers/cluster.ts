// Several instances of the real app on one real redis-server, as a deployment runs them: one
// users file (as mounted on every instance), one clock (so expiry can be moved by hand across
// all of them), and a key prefix of their own.
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { FileUsersStore } from '../../src/accounts/file-users-store.js'
import { RedisServer } from './redis-server.js'
import {
  hashFor,
  startTestServer,
  TEST_USER,
  TestClock,
  type Teardown,
  type TestServer,
  type TestServerOptions
} from './test-server.js'

export interface Cluster {
  readonly redis: RedisServer
  readonly instances: TestServer[]
  readonly clock: TestClock
  readonly usersFile: string
  /** The environment every instance was started with (REDIS_URL and the prefix included). */
  readonly env: Record<string, string>
  /** Starts one more instance of the same deployment. */
  add (options?: TestServerOptions): Promise<TestServer>
}

let deployments = 0

/** Starts `count` instances on `redis` (a new redis-server when not given). */
export async function startCluster (
  t: Teardown,
  count: number,
  env: Record<string, string> = {},
  redis?: RedisServer
): Promise<Cluster> {
  const server = redis ?? await RedisServer.start(t)
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hero-cluster-'))
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }))
  const usersFile = path.join(dir, 'users.json')
  await FileUsersStore.create(usersFile, [{ username: TEST_USER.username, hash: await hashFor(TEST_USER.password) }])
  const clock = new TestClock()
  const fullEnv = { REDIS_URL: server.url, REDIS_KEY_PREFIX: `deployment-${process.pid}-${deployments++}:`, ...env }
  const instances: TestServer[] = []
  const cluster: Cluster = {
    redis: server,
    instances,
    clock,
    usersFile,
    env: fullEnv,
    async add (options = {}) {
      const instance = await startTestServer(t, fullEnv, { clock, usersFile, ...options })
      await waitForRedis(instance)
      instances.push(instance)
      return instance
    }
  }
  for (let i = 0; i < count; i++) await cluster.add()
  return cluster
}

/**
 * Waits until the instance's connection to Redis is up (commands fail fast until then) and it
 * listens on the session-ends channel (an end published before that is heard only by the re-check).
 */
export async function waitForRedis (server: TestServer, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (server.app.services.stores.health?.listening !== true) {
    if (Date.now() > deadline) throw new Error('the instance did not reach Redis and subscribe')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
