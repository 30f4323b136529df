// deploy/redis/redis.conf run for one test by Debian's redis-server, rendered as npm run cluster
// renders it (scripts/cluster/redis-conf.ts): the service user's password one of the test's own (in
// a 0600 REDIS_PASSWORD_FILE), and an administrator added for the test's own clients.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { renderDeployRedisConf, writeSecretFile } from '../../scripts/cluster/redis-conf.js'
import type { PrivateCa } from './private-ca.js'
import { RedisServer } from './redis-server.js'
import type { Teardown } from './test-server.js'

/** A running deploy/redis/redis.conf and what an instance needs to log in to it. */
export interface DeployRedis {
  readonly redis: RedisServer
  /** REDIS_PASSWORD_FILE holding the service user's password (mode 0600). */
  readonly passwordFile: string
  readonly password: string
  /** REDIS_URL, REDIS_USERNAME, REDIS_PASSWORD_FILE (and REDIS_CA_FILE with TLS) for an instance. */
  readonly env: Record<string, string>
}

/** Starts deploy/redis/redis.conf (on a unix socket, or TLS only with `ca`'s certificate); stopped at teardown. */
export async function startDeployRedis (t: Teardown, ca?: PrivateCa): Promise<DeployRedis> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hero-deploy-redis-'))
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }))
  const password = randomBytes(24).toString('base64url')
  const passwordFile = path.join(dir, 'redis-password')
  writeSecretFile(passwordFile, password)
  const admin = { username: 'test-admin', password: randomBytes(18).toString('base64url') }
  const configFile = path.join(dir, 'redis.conf')
  const adminLine = `\nuser ${admin.username} on >${admin.password} ~* &* +@all\n`
  fs.writeFileSync(configFile, renderDeployRedisConf(password, adminLine), { mode: 0o600 })
  const redis = await RedisServer.start(t, { configFile, admin, ...(ca === undefined ? {} : { tls: ca }) })
  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    REDIS_USERNAME: 'hero-socket',
    REDIS_PASSWORD_FILE: passwordFile
  }
  if (ca !== undefined) env.REDIS_CA_FILE = ca.caFile
  return { redis, passwordFile, password, env }
}
