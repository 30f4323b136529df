// Who the service is to Redis, and how it knows it reached the right Redis: the ACL user's
// password from REDIS_PASSWORD_FILE (never from REDIS_URL) and, for rediss://, the CA of a private
// CA from REDIS_CA_FILE. Read once at start-up with the other files: a missing or empty file stops
// start-up with a ConfigError naming its variable.
import fsp from 'node:fs/promises'
import type { RedisOptions } from 'ioredis'
import { ConfigError, type RedisConfig } from '../../config/config.js'

/** What the connection sends and trusts; every field is optional (a local Redis needs none). */
export interface RedisCredentials {
  readonly username?: string
  readonly password?: string
  /** PEM of the CA a rediss:// server's certificate must chain to (default: the system's CAs). */
  readonly ca?: string
}

/** Reads REDIS_PASSWORD_FILE (trimmed, not empty) and REDIS_CA_FILE when they are set. */
export async function readRedisCredentials (
  config: Pick<RedisConfig, 'username' | 'passwordFile' | 'caFile'>
): Promise<RedisCredentials> {
  const password = config.passwordFile === undefined
    ? undefined
    : (await readNamedFile(config.passwordFile, 'REDIS_PASSWORD_FILE')).trim()
  if (password === '') throw new ConfigError('REDIS_PASSWORD_FILE', 'names an empty file')
  const ca = config.caFile === undefined ? undefined : await readNamedFile(config.caFile, 'REDIS_CA_FILE')
  return {
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(password === undefined ? {} : { password }),
    ...(ca === undefined ? {} : { ca })
  }
}

/**
 * The ioredis options for `url` with `credentials`: the user and password, and for rediss:// TLS
 * 1.2 or later checked against the CA (the host name is checked against the certificate), always:
 * NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment does not turn the check off here. No
 * CLIENT SETINFO: one command fewer for the ACL user, and one Redis 7.0 does not know.
 */
export function credentialOptions (url: string, credentials: RedisCredentials): RedisOptions {
  return {
    disableClientInfo: true,
    ...(credentials.username === undefined ? {} : { username: credentials.username }),
    ...(credentials.password === undefined ? {} : { password: credentials.password }),
    ...(url.startsWith('rediss:')
      ? {
          tls: {
            minVersion: 'TLSv1.2',
            rejectUnauthorized: true,
            ...(credentials.ca === undefined ? {} : { ca: credentials.ca })
          }
        }
      : {})
  }
}

async function readNamedFile (file: string, variable: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError(
      variable,
      `names a file that cannot be read: ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`
    )
  }
}
