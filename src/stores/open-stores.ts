// Where the store backend is chosen, once: Redis when REDIS_URL is set, else this process. A new
// backend (Sentinel, a database) is its factory file beside redis-stores.ts and one line in each
// function here. What a backend reads from files (its credentials) is read by readStoreSecrets
// with the other start-up files, before anything is written, and handed back to openStores.
import type { Config } from '../config/config.js'
import { memoryStores } from './memory-stores.js'
import { readRedisCredentials, type RedisCredentials } from './redis/redis-credentials.js'
import { redisStores } from './redis-stores.js'
import type { StoreOptions, Stores } from './stores.js'

/** What the chosen backend read at start-up (undefined: it reads nothing). Opaque outside this folder. */
export type StoreSecrets = RedisCredentials | undefined

/**
 * Reads the chosen backend's files (REDIS_PASSWORD_FILE, REDIS_CA_FILE).
 * @throws ConfigError naming the variable whose file is missing or empty
 */
export async function readStoreSecrets (config: Config): Promise<StoreSecrets> {
  if (config.redis !== undefined) return await readRedisCredentials(config.redis)
  return undefined
}

/** The stores of the configured backend, with what readStoreSecrets read for it. */
export function openStores (config: Config, secrets: StoreSecrets, options: StoreOptions): Stores {
  if (config.redis !== undefined) return redisStores(config, config.redis, secrets ?? {}, options)
  return memoryStores(config, options)
}
