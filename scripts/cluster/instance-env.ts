// deploy/instance.env read as variables, the environment every instance of deploy/ starts from
// (npm run cluster and the tests then set only ports, files and the origin of their own).
import fs from 'node:fs'
import path from 'node:path'
import { PACKAGE_ROOT } from '../../src/config/package-root.js'

export const INSTANCE_ENV = path.join(PACKAGE_ROOT, 'deploy', 'instance.env')

/** deploy/instance.env as variables (comments and blank lines skipped). */
export function instanceEnv (): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of fs.readFileSync(INSTANCE_ENV, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (match?.[1] !== undefined) env[match[1]] = match[2] ?? ''
  }
  return env
}
