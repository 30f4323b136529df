// hero-socket itself, built by buildApp exactly as src/server.ts does, from the environment the
// runner sets (high limits, LOG_LEVEL=warn; REDIS_URL for hero-socket+redis), listening on
// 127.0.0.1 port 0. With REDIS_URL it reports listening only once its Redis connection is up and
// it hears the session-ends channel, so the first login and the first logout elsewhere count.
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { serveControl } from '../server-control.js'

/** Longest wait for Redis at start-up (ms). */
const REDIS_READY_TIMEOUT_MS = 15_000

const config = loadConfig()
const app = await buildApp(config)
await app.listen({ host: config.http.host, port: config.http.port })
if (config.redis !== undefined) {
  const ready = (): boolean => app.services.stores.health?.listening === true
  const giveUpAt = Date.now() + REDIS_READY_TIMEOUT_MS
  while (!ready()) {
    if (Date.now() > giveUpAt) throw new Error(`no Redis at REDIS_URL within ${REDIS_READY_TIMEOUT_MS / 1000} s`)
    await sleep(10)
  }
}
serveControl((app.server.address() as AddressInfo).port, async () => {
  await app.close()
})
