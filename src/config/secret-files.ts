// The secret files a configuration names (TLS_KEY, METRICS_TOKEN_FILE, REDIS_PASSWORD_FILE): which
// of them someone besides their owner may read or write, for the server to warn about at start-up,
// as it does for the users file. A warning, not a refusal: the files are read already, and some
// set-ups share a key with a group on purpose.
import fsp from 'node:fs/promises'
import type { Config, EnvName } from './config.js'

/** One secret file others may read or write. */
export interface ExposedSecretFile {
  readonly variable: EnvName
  readonly file: string
  /** Its permission bits, e.g. 0o644. */
  readonly mode: number
}

/** The secret files of `config` whose mode lets group or others in (mode & 0o077); missing files are skipped. */
export async function exposedSecretFiles (
  config: Pick<Config, 'tls' | 'metrics' | 'redis'>
): Promise<ExposedSecretFile[]> {
  const named: ReadonlyArray<[EnvName, string | undefined]> = [
    ['TLS_KEY', config.tls.keyFile],
    ['METRICS_TOKEN_FILE', config.metrics?.tokenFile],
    ['REDIS_PASSWORD_FILE', config.redis?.passwordFile]
  ]
  const exposed: ExposedSecretFile[] = []
  for (const [variable, file] of named) {
    if (file === undefined) continue
    const mode = await fsp.stat(file).then((stat) => stat.mode & 0o777, () => undefined)
    if (mode !== undefined && (mode & 0o077) !== 0) exposed.push({ variable, file, mode })
  }
  return exposed
}
