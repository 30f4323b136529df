// A private certificate authority for one test, made with Debian's openssl: a CA certificate, and
// a server certificate it signs for localhost and 127.0.0.1 (ECDSA P-256), as PEM files in a folder.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/** The PEM files of a private CA and of the server certificate it signed. */
export interface PrivateCa {
  readonly caFile: string
  readonly certFile: string
  readonly keyFile: string
}

/** Creates the CA and a server certificate in `dir` (valid two days; keys mode 0600). */
export function createPrivateCa (dir: string): PrivateCa {
  const file = (name: string): string => path.join(dir, name)
  const openssl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] }) }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  openssl('req', '-x509', ...ec, '-keyout', file('ca-key.pem'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=hero-socket test CA')
  openssl('req', ...ec, '-keyout', file('server-key.pem'), '-out', file('server.csr'), '-subj', '/CN=localhost')
  fs.writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n')
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca-key.pem'), '-CAcreateserial',
    '-out', file('server.pem'), '-days', '2', '-extfile', file('server.ext'))
  for (const key of ['ca-key.pem', 'server-key.pem']) fs.chmodSync(file(key), 0o600)
  return { caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server-key.pem') }
}
