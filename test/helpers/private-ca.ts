// A private certificate authority, made with Debian's openssl: a CA certificate, and server
// certificates it signs for localhost and 127.0.0.1 (ECDSA P-256 by default, RSA 2048 on
// request), as PEM files in a folder.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/** The PEM files of a private CA and of the server certificate it signed. */
export interface PrivateCa {
  readonly caFile: string
  readonly certFile: string
  readonly keyFile: string
}

/** The CA's key, beside its certificate in the folder createPrivateCa wrote. */
const CA_KEY_FILE = 'ca-key.pem'

function openssl (...args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Creates the CA and an ECDSA server certificate in `dir` (valid two days; keys mode 0600). */
export function createPrivateCa (dir: string): PrivateCa {
  const caFile = path.join(dir, 'ca.pem')
  const caKeyFile = path.join(dir, CA_KEY_FILE)
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    caKeyFile,
    '-out',
    caFile,
    '-days',
    '2',
    '-subj',
    '/CN=hero-socket test CA'
  )
  fs.chmodSync(caKeyFile, 0o600)
  return { caFile, ...signServerCertificate(caFile, dir) }
}

/**
 * A server certificate for localhost and 127.0.0.1, signed by the CA whose certificate is `caFile`
 * (its key beside it, as createPrivateCa leaves it), written to `dir` as server.pem and
 * server-key.pem (mode 0600), valid two days.
 */
export function signServerCertificate (
  caFile: string,
  dir: string,
  key: 'ec' | 'rsa' = 'ec'
): Omit<PrivateCa, 'caFile'> {
  const file = (name: string): string => path.join(dir, name)
  const newKey = key === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048']
  openssl(
    'req',
    ...newKey,
    '-nodes',
    '-keyout',
    file('server-key.pem'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=localhost'
  )
  fs.writeFileSync(
    file('server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n'
  )
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', caFile, '-CAkey', path.join(
    path.dirname(caFile),
    CA_KEY_FILE
  ), '-CAcreateserial',
  '-out', file('server.pem'), '-days', '2', '-extfile', file('server.ext'))
  fs.chmodSync(file('server-key.pem'), 0o600)
  return { certFile: file('server.pem'), keyFile: file('server-key.pem') }
}
