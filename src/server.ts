// The process entry: load configuration, read the start-up files, make sure there is a users
// file, build the app, listen, and close gracefully on SIGTERM/SIGINT (a second signal stops at
// once). Everything else is in buildApp. A configuration or start-up file that cannot be used, or
// an address that cannot be listened on, stops the process with one line naming its variable.
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { ensureUsersFile, refuseMissingUsersFile, showDemoPassword } from './accounts/first-start.js'
import { PasswordHasher } from './accounts/password-hasher.js'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config/config.js'
import { explainListenFailure, ListenError } from './config/listen-error.js'
import { drainAndClose } from './operations/drain.js'
import { loadCertificates, readSecretFiles } from './services.js'

/** Configuration, files and the app, ready to listen. */
async function prepare (): Promise<{ config: Config, app: FastifyInstance }> {
  const config = loadConfig()
  // The secret files (metrics token, the store's credentials), the users file's presence, then
  // TLS, before the users file is created: a start-up refused for any of them writes neither a
  // development key nor a demo account. Each file is read here once and handed to the app.
  const secrets = await readSecretFiles(config)
  await refuseMissingUsersFile(config)
  const certificates = await loadCertificates(config)
  const demoPassword = await ensureUsersFile(config, new PasswordHasher(config.argon2))
  // Shown as soon as it exists: a later failure (say, the port is taken) must not lose it.
  if (demoPassword !== undefined) {
    await showDemoPassword(
      demoPassword,
      config.accounts.usersFile,
      { terminal: process.stderr.isTTY ? process.stderr : undefined, log: process.stdout }
    )
  }
  const app = await buildApp(config, { files: { ...secrets, ...certificates } })
  return { config, app }
}

/** Stops the process with one line on stderr: a start-up that cannot go on for a reason the operator can fix. */
function refuse (err: ConfigError | ListenError): never {
  process.stderr.write(`hero-socket: ${err.message}\n`)
  process.exit(1)
}

async function main (): Promise<void> {
  let prepared
  try {
    prepared = await prepare()
  } catch (err) {
    if (err instanceof ConfigError) refuse(err)
    throw err
  }
  const { config, app } = prepared

  const onSecondSignal = (signal: NodeJS.Signals): void => app.log.warn({ signal }, 'second signal: stopping at once')
  closeWithGrace({ delay: config.shutdown.timeoutMs, onSecondSignal }, async ({ signal, err }) => {
    if (err !== undefined) {
      app.log.error({ err }, 'closing after an uncaught error')
      await app.close()
      return
    }
    app.log.info({ signal }, 'shutting down')
    await drainAndClose(app)
  })

  await listen(app, config)
  if (!config.tls.enabled) {
    app.log.warn('TLS is OFF (TLS=off): plain HTTP. Only run this behind a proxy that terminates TLS.')
    process.stderr.write('\n!!! hero-socket is serving PLAIN HTTP (TLS=off). Run it only behind a TLS-terminating ' +
      'proxy. !!!\n\n')
  }
  app.log.info({ allowedOrigins: app.services.allowedOrigins.list() }, 'allowed origins')
}

/** Listens on HOST:PORT, and the operators' listener if there is one; an address it cannot take stops the process. */
async function listen (app: FastifyInstance, config: Config): Promise<void> {
  const { host, port } = config.http
  try {
    await app.listen({ host, port })
  } catch (err) {
    const explained = explainListenFailure(err, { portVariable: 'PORT', hostVariable: 'HOST', host, port })
    if (explained instanceof ListenError) refuse(explained)
    throw err
  }
}

await main()
