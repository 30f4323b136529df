// deploy/redis/redis.conf run for one test by Debian's redis-server: the file as shipped, with only
// the service user's all-zero password hash replaced by the SHA-256 of a password of the test's
// own (in a 0600 REDIS_PASSWORD_FILE), and an administrator added for the test's own clients.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ROOT } from './http.js'
import type { PrivateCa } from './private-ca.js'
import { RedisServer } from './redis-server.js'
import type { Teardown } from './test-server.js'

export const DEPLOY_REDIS_CONF = path.join(ROOT, 'deploy', 'redis', 'redis.conf')
/** The placeholder deploy/redis/redis.conf ships for the service's password hash. */
export const HASH_PLACEHOLDER = '#' + '0'.repeat(64)

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
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 })
  const shipped = fs.readFileSync(DEPLOY_REDIS_CONF, 'utf8')
  if (shipped.split(HASH_PLACEHOLDER).length !== 2) {
    throw new Error(`${DEPLOY_REDIS_CONF} must hold exactly one ` +
    `${HASH_PLACEHOLDER}`)
  }
  const admin = { username: 'test-admin', password: randomBytes(18).toString('base64url') }
  const configFile = path.join(dir, 'redis.conf')
  fs.writeFileSync(configFile, shipped.replace(
    HASH_PLACEHOLDER,
    '#' + createHash('sha256').update(password).digest('hex')
  ) +
    `\nuser ${admin.username} on >${admin.password} ~* &* +@all\n`, { mode: 0o600 })
  const redis = await RedisServer.start(t, { configFile, admin, ...(ca === undefined ? {} : { tls: ca }) })
  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    REDIS_USERNAME: 'hero-socket',
    REDIS_PASSWORD_FILE: passwordFile
  }
  if (ca !== undefined) env.REDIS_CA_FILE = ca.caFile
  return { redis, passwordFile, password, env }
}
