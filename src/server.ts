// The process entry: load configuration, make sure there is a users file, build the app,
// listen, and close gracefully on SIGTERM/SIGINT. Everything else is in buildApp.
import closeWithGrace from 'close-with-grace'
import { ensureUsersFile, refuseMissingUsersFile, showDemoPassword } from './accounts/first-start.js'
import { PasswordHasher } from './accounts/password-hasher.js'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config/config.js'
import { loadTlsCredentials } from './config/tls-credentials.js'
import { drainAndClose } from './operations/drain.js'
import { readMetricsToken } from './operations/operators-listener.js'
import { readRedisCredentials } from './redis/redis-credentials.js'

async function main (): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`hero-socket: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }

  let app
  try {
    // The metrics token, Redis's password and CA, the users file's presence, then TLS, before the
    // users file is created: a start-up refused for any of them writes neither a development key
    // nor a demo account.
    const metricsToken = await readMetricsToken(config.metrics)
    const redisCredentials = config.redis === undefined ? undefined : await readRedisCredentials(config.redis)
    await refuseMissingUsersFile(config)
    const tls = config.tls.enabled ? await loadTlsCredentials(config) : undefined
    const demoPassword = await ensureUsersFile(config, new PasswordHasher(config.argon2))
    // Shown as soon as it exists: a later failure (say, the port is taken) must not lose it.
    if (demoPassword !== undefined) {
      await showDemoPassword(demoPassword, config.accounts.usersFile, { terminal: process.stderr.isTTY ? process.stderr : undefined, log: process.stdout })
    }
    app = await buildApp(config, { tls, metricsToken, ...(redisCredentials === undefined ? {} : { redisCredentials }) })
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`hero-socket: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }

  closeWithGrace({ delay: config.shutdown.timeoutMs }, async ({ signal, err }) => {
    if (err !== undefined) {
      app.log.error({ err }, 'closing after an uncaught error')
      await app.close()
      return
    }
    app.log.info({ signal }, 'shutting down')
    await drainAndClose(app)
  })

  await app.listen({ host: config.http.host, port: config.http.port })
  if (!config.tls.enabled) {
    app.log.warn('TLS is OFF (TLS=off): plain HTTP. Only run this behind a proxy that terminates TLS.')
    process.stderr.write('\n!!! hero-socket is serving PLAIN HTTP (TLS=off). Run it only behind a TLS-terminating proxy. !!!\n\n')
  }
  app.log.info({ allowedOrigins: app.services.allowedOrigins.list() }, 'allowed origins')
}

await main()
