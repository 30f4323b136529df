// What npm run cluster reads from its environment: CLUSTER_PORT (nginx's port, default 8443) and
// the certificate nginx serves (TLS_CERT and TLS_KEY as for npm start, else the development
// certificate in CERTS_DIR, made on first use); and the one-sentence errors it stops with.
import net from 'node:net'
import { loadConfig } from '../../src/config/config.js'
import { loadTlsCredentials } from '../../src/config/tls-credentials.js'

/** nginx's port when CLUSTER_PORT is not set: the one a person types, as for npm start. */
export const DEFAULT_CLUSTER_PORT = 8443

/** The certificate and key nginx serves (PEM). */
export interface Credentials {
  readonly cert: string
  readonly key: string
}

/** A mistake the cluster stops on: its message is the one sentence printed. */
export class ClusterError extends Error {
  override name = 'ClusterError'
}

/**
 * nginx's port from CLUSTER_PORT (empty or unset: DEFAULT_CLUSTER_PORT).
 * @throws ClusterError when it is not a port number
 */
export function clusterPort (env: NodeJS.ProcessEnv): number {
  const text = (env.CLUSTER_PORT ?? '').trim()
  if (text === '') return DEFAULT_CLUSTER_PORT
  const port = Number(text)
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new ClusterError(`CLUSTER_PORT is "${text}": set it to a port number from 1 to 65535.`)
  }
  return port
}

/** The sentence for a `port` someone else holds. */
export function portInUse (port: number): ClusterError {
  return new ClusterError(`port ${port} is already in use (another npm start or npm run cluster?): stop what ` +
    'holds it, or set CLUSTER_PORT to a free port.')
}

/**
 * Checks that 127.0.0.1:`port` can be bound now, before anything starts (nginx's own bind is
 * checked too: someone may take it in between).
 * @throws ClusterError when it is taken
 */
export async function checkPortFree (port: number): Promise<void> {
  const probe = net.createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject)
    probe.listen(port, '127.0.0.1', resolve)
  }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'EADDRINUSE' ? portInUse(port) : err
  })
  await new Promise((resolve) => probe.close(resolve))
}

/**
 * The certificate and key nginx serves (PEM): TLS_CERT and TLS_KEY when set, else the development
 * certificate in CERTS_DIR (default certs/), made on first use as npm start makes it.
 * @throws ConfigError naming the variable, as npm start would
 */
export async function clusterCredentials (env: NodeJS.ProcessEnv): Promise<Credentials> {
  const config = loadConfig({
    TLS_CERT: env.TLS_CERT ?? '',
    TLS_KEY: env.TLS_KEY ?? '',
    CERTS_DIR: env.CERTS_DIR ?? ''
  })
  const { cert, key } = await loadTlsCredentials(config)
  return { cert, key }
}
