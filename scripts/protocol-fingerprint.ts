// Whether the protocol generator (generate-protocol.ts) needs to run: a hash of its inputs and of
// the files it writes, kept in dist/ after each run. Apart from the generator so that the build
// can ask without loading ajv.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PACKAGE_ROOT } from '../src/config/package-root.js'

/** The files the generator writes, from `root`. */
export function generatedFileNames (root: string): [string, string, string, string] {
  return [
    path.join(root, 'src', 'protocol', 'generated', 'messages.ts'),
    path.join(root, 'client', 'generated', 'protocol-validators.js'),
    path.join(root, 'client', 'generated', 'protocol.ts'),
    path.join(root, 'docs', 'asyncapi.json')
  ]
}

/** Where the fingerprint of the last run is kept (git-ignored, beside the build). */
export function fingerprintFile (root: string): string {
  return path.join(root, 'dist', 'protocol.fingerprint')
}

/**
 * A hash of everything the generated files depend on (schemas/, package.json for the version,
 * the lock file for ajv's, the generator's own built code) and of the generated files as they are
 * now: one of them edited or deleted changes it too.
 */
export function protocolFingerprint (root = PACKAGE_ROOT): string {
  const schemaDir = path.join(root, 'schemas')
  const inputs = [
    ...fs.readdirSync(schemaDir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(schemaDir, f)),
    path.join(root, 'package.json'),
    path.join(root, 'package-lock.json'),
    fileURLToPath(new URL('./generate-protocol.js', import.meta.url)),
    fileURLToPath(new URL('./asyncapi.js', import.meta.url)),
    fileURLToPath(new URL('../src/protocol/schema-files.js', import.meta.url))
  ]
  const hash = createHash('sha256')
  for (const file of [...inputs, ...generatedFileNames(root)]) {
    hash.update(`${path.relative(root, file)}\0${readIfPresent(file) ?? '\0missing'}\0`)
  }
  return hash.digest('hex')
}

/** True when nothing the generator reads or writes changed since it last ran. */
export function protocolIsCurrent (root = PACKAGE_ROOT): boolean {
  return readIfPresent(fingerprintFile(root)) === protocolFingerprint(root)
}

/** Records that the generated files are current (after a run). */
export function recordProtocolFingerprint (root = PACKAGE_ROOT): void {
  fs.mkdirSync(path.dirname(fingerprintFile(root)), { recursive: true })
  fs.writeFileSync(fingerprintFile(root), protocolFingerprint(root))
}

/** The file's text, or undefined when there is no such file. */
export function readIfPresent (file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
