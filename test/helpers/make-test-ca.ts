// tap's `before` program (package.json): makes the tests' CA (test-ca.ts) unless one younger than
// a day is there already, before any test process starts and reads NODE_EXTRA_CA_CERTS. A new CA
// is made beside the old one and swapped in whole, so a run in progress never reads half of one.
import fs from 'node:fs'
import path from 'node:path'
import { createPrivateCa } from './private-ca.js'
import { TEST_CA, TEST_CA_DIR } from './test-ca.js'

/** A CA older than this is made anew (its certificates are valid two days). */
const MAX_AGE_MS = 24 * 60 * 60 * 1000

function fresh (): boolean {
  try {
    const files = [TEST_CA.caFile, TEST_CA.certFile, TEST_CA.keyFile]
    return files.every((file) => Date.now() - fs.statSync(file).mtimeMs < MAX_AGE_MS)
  } catch {
    return false
  }
}

if (!fresh()) {
  fs.mkdirSync(path.dirname(TEST_CA_DIR), { recursive: true })
  const next = fs.mkdtempSync(`${TEST_CA_DIR}-`)
  createPrivateCa(next)
  fs.rmSync(TEST_CA_DIR, { recursive: true, force: true })
  fs.renameSync(next, TEST_CA_DIR)
}
