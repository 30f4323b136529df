// deploy/redis/redis.conf as run on this machine (by npm run cluster and by the tests): the file
// as shipped, with only the service user's all-zero password hash replaced by the SHA-256 of a
// password made for the run, which the instances read from a 0600 REDIS_PASSWORD_FILE.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { PACKAGE_ROOT } from '../../src/config/package-root.js'

export const DEPLOY_REDIS_CONF = path.join(PACKAGE_ROOT, 'deploy', 'redis', 'redis.conf')
/** The placeholder deploy/redis/redis.conf ships for the service's password hash. */
export const HASH_PLACEHOLDER = '#' + '0'.repeat(64)

/**
 * The shipped redis.conf with the service user's password set to `password` (`extra` appended:
 * lines of the caller's own, such as a test's administrator).
 * @throws Error when the shipped file does not hold the placeholder exactly once
 */
export function renderDeployRedisConf (password: string, extra = ''): string {
  const shipped = fs.readFileSync(DEPLOY_REDIS_CONF, 'utf8')
  if (shipped.split(HASH_PLACEHOLDER).length !== 2) {
    throw new Error(`${DEPLOY_REDIS_CONF} must hold exactly one ${HASH_PLACEHOLDER}`)
  }
  const hash = '#' + createHash('sha256').update(password).digest('hex')
  return shipped.replace(HASH_PLACEHOLDER, hash) + extra
}

/** Writes `secret` to `file` (mode 0600), as REDIS_PASSWORD_FILE and METRICS_TOKEN_FILE hold one. */
export function writeSecretFile (file: string, secret: string): void {
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 })
}
