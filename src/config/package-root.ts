// The package root (where package.json is), found from this file both in src/ (tests) and in
// dist/src/ (npm start), so public/ and schemas/ are found whichever runs.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

function findPackageRoot (): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error('package root not found')
    dir = parent
  }
  return dir
}

/** Absolute path of the package root. */
export const PACKAGE_ROOT = findPackageRoot()
