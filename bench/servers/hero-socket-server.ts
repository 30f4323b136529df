// hero-socket itself, built by buildApp exactly as src/server.ts does, from the environment the
// runner sets (high limits, LOG_LEVEL=warn), listening on 127.0.0.1 port 0.
import type { AddressInfo } from 'node:net'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { serveControl } from '../server-control.js'

const config = loadConfig()
const app = await buildApp(config)
await app.listen({ host: config.host, port: config.port })
serveControl((app.server.address() as AddressInfo).port, async () => {
  await app.close()
})
