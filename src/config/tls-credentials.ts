// TLS key and certificate: the operator's (TLS_CERT/TLS_KEY), or a self-signed development
// certificate for localhost/127.0.0.1 under CERTS_DIR, generated on first start. The
// development certificate is refused for a HOST that is not loopback.
import fsp from 'node:fs/promises'
import path from 'node:path'
import selfsigned from 'selfsigned'
import type { Config } from './config.js'
import { ConfigError } from './config-error.js'
import { isLoopbackHost } from './loopback-host.js'

export interface TlsCredentials {
  readonly key: string
  readonly cert: string
  /** True when this is the generated development certificate. */
  readonly development: boolean
  readonly certFile: string
}

export const DEV_CERT_FILE = 'dev-cert.pem'
const DEV_KEY_FILE = 'dev-key.pem'

/** Reads (or, for development, creates) the TLS credentials named by the configuration. */
export async function loadTlsCredentials ({ tls, http }: Pick<Config, 'tls' | 'http'>): Promise<TlsCredentials> {
  if (tls.certFile !== undefined && tls.keyFile !== undefined) {
    return {
      cert: await readPem(tls.certFile, 'TLS_CERT'),
      key: await readPem(tls.keyFile, 'TLS_KEY'),
      development: false,
      certFile: tls.certFile
    }
  }
  if (!isLoopbackHost(http.host)) {
    throw new ConfigError('HOST', `is ${http.host}, not loopback: set TLS_CERT and TLS_KEY, ` +
      'the development certificate is for localhost only')
  }
  const certFile = path.join(tls.certsDir, DEV_CERT_FILE)
  const keyFile = path.join(tls.certsDir, DEV_KEY_FILE)
  try {
    const [cert, key] = [await fsp.readFile(certFile, 'utf8'), await fsp.readFile(keyFile, 'utf8')]
    return { cert, key, development: true, certFile }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const { cert, key } = await generateDevelopmentCertificate()
  await fsp.mkdir(tls.certsDir, { recursive: true })
  await fsp.writeFile(keyFile, key, { mode: 0o600 })
  await fsp.writeFile(certFile, cert, { mode: 0o644 })
  return { cert, key, development: true, certFile }
}

/** A fresh self-signed certificate for localhost and 127.0.0.1 (and ::1), valid one year. */
export async function generateDevelopmentCertificate (): Promise<{ cert: string, key: string }> {
  const notBeforeDate = new Date(Date.now() - 60_000)
  const notAfterDate = new Date(notBeforeDate.getTime() + 365 * 24 * 3600 * 1000)
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      // An ECDSA key signs; it never encrypts a key (RFC 5480 section 3), so no keyEncipherment.
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }]
      }
    ]
  })
  return { cert: pems.cert, key: pems.private }
}

async function readPem (file: string, variable: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new ConfigError(variable, `names a file that cannot be read: ${file} (${code})`)
  }
}
