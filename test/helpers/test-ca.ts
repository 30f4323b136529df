// The tests' certificate authority: one private CA (private-ca.ts) per worktree under
// test-output/test-ca/, made by tap's `before` program (make-test-ca.ts) and trusted by every test
// process through NODE_EXTRA_CA_CERTS (package.json's tap "test-env"), so TLS verification stays on.
// Every test server (test-server.ts) and nginx serve the certificate it signed for localhost and
// 127.0.0.1; other clients are handed the CA (`ca`, a CA file, Chromium's key pin).
import { createHash, createPublicKey } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PrivateCa } from './private-ca.js'

/** Where the tests' CA lives (gitignored). */
export const TEST_CA_DIR = fileURLToPath(new URL('../../test-output/test-ca', import.meta.url))

/** The files of the tests' CA (see private-ca.ts for their names). */
export const TEST_CA: PrivateCa = Object.freeze({
  caFile: path.join(TEST_CA_DIR, 'ca.pem'),
  certFile: path.join(TEST_CA_DIR, 'server.pem'),
  keyFile: path.join(TEST_CA_DIR, 'server-key.pem')
})

/** The tests' CA and the server certificate it signed, read once. */
export interface TestCaPems {
  /** The CA certificate (PEM), what clients trust. */
  readonly ca: string
  /** The server's certificate and key (PEM). */
  readonly cert: string
  readonly key: string
}

let pems: TestCaPems | undefined
/**
 * The tests' CA, which this process must trust already: NODE_EXTRA_CA_CERTS is read when Node
 * starts, so only a process started by tap (or with the variable set) trusts it in fetch().
 */
export function testCa (): TestCaPems {
  if (pems !== undefined) return pems
  const trusted = process.env.NODE_EXTRA_CA_CERTS
  if (trusted === undefined || path.resolve(trusted) !== TEST_CA.caFile || !fs.existsSync(TEST_CA.caFile)) {
    throw new Error('this test process does not trust the tests\' CA: run it through tap (npx tap <file>), which ' +
      `makes ${TEST_CA.caFile} and sets NODE_EXTRA_CA_CERTS to it`)
  }
  pems = {
    ca: fs.readFileSync(TEST_CA.caFile, 'utf8'),
    cert: fs.readFileSync(TEST_CA.certFile, 'utf8'),
    key: fs.readFileSync(TEST_CA.keyFile, 'utf8')
  }
  return pems
}

/** base64 of the SHA-256 of a certificate's public key (SPKI), as Chromium pins keys. */
export function spkiPin (certPem: string): string {
  const spki = createPublicKey(certPem).export({ type: 'spki', format: 'der' })
  return createHash('sha256').update(spki).digest('base64')
}
