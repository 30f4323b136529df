// First start: with the development defaults and no users file, create one holding `demo` with a
// random password, so a newcomer can log in at once. Anywhere else (an explicit USERS_FILE, Redis,
// TLS=off, trusted proxies, a HOST others reach) a missing users file stops start-up instead: a
// deployment must never run with an account nobody chose.
//
// The password is shown where only the person starting the server sees it, never in the log
// stream (stdout, pino): on stderr when stderr is a terminal; otherwise (systemd, a container, a
// pipe: stderr is collected like stdout) in an owner-only file beside the users file, whose path
// is printed instead.
//
// The password is one-time, as every issued one: the first login leads to the change-password
// form, and unused it expires after ONE_TIME_PASSWORD_LIFETIME_MS.
//
// The password follows the rules every new password follows (password-rules/): a random one that
// happens to hold a context word (`demo`, a hero's name) is drawn again.
import { randomBytes } from 'node:crypto'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { ONE_TIME_PASSWORD_LIFETIME_MS } from '../account-limits.js'
import { ConfigError, type Config } from '../config/config.js'
import { FileUsersStore } from './file-users-store.js'
import type { PasswordHasher } from './password-hasher.js'
import { checkNewPassword } from './password-rules/password-rules.js'

/** The demo account's name. */
export const DEMO_USERNAME = 'demo'

/** The file, beside the users file, that holds the demo password when no terminal shows it. */
export const DEMO_PASSWORD_FILE = 'demo-password'

/** Random bytes in the demo password: 144 bits (24 base64url characters). */
const DEMO_PASSWORD_BYTES = 18

type UsersFileSettings = Pick<Config, 'accounts' | 'productionSettings'>

/**
 * Stops start-up when the users file is missing outside the development defaults.
 * @throws ConfigError naming USERS_FILE
 */
export async function refuseMissingUsersFile (config: UsersFileSettings): Promise<void> {
  if (config.productionSettings.length === 0 || await FileUsersStore.exists(config.accounts.usersFile)) return
  throw new ConfigError('USERS_FILE', `names no file (${config.accounts.usersFile}). ` +
    'A demo account is made only with the development ' +
    `defaults, and ${config.productionSettings.join(', ')} say this is a deployment: create the accounts first ` +
    '(USERS_FILE=<file> npm run users -- add <name>)')
}

/**
 * Creates the users file with the demo user when it does not exist (development defaults only).
 * @returns the demo password (to show once), or undefined when the file already existed
 * @throws ConfigError naming USERS_FILE when the file is missing outside the development defaults
 */
export async function ensureUsersFile (config: UsersFileSettings, hasher: PasswordHasher): Promise<string | undefined> {
  await refuseMissingUsersFile(config)
  if (await FileUsersStore.exists(config.accounts.usersFile)) return undefined
  const password = demoPassword()
  const hash = await hasher.hash(password)
  const now = Date.now()
  try {
    await FileUsersStore.create(
      config.accounts.usersFile,
      [{ username: DEMO_USERNAME, hash, passwordSetAt: now, mustChangeBy: now + ONE_TIME_PASSWORD_LIFETIME_MS }]
    )
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined
    throw err
  }
  return password
}

/**
 * A random password for the demo user that follows the password rules: 144 bits, drawn again in
 * the rare case it holds a context word (about 1 draw in 25,000) or is on the common list.
 * @param draw the random source, for tests; default 18 bytes from the CSPRNG in base64url
 */
export function demoPassword (draw = (): string => randomBytes(DEMO_PASSWORD_BYTES).toString('base64url')): string {
  for (;;) {
    const password = draw()
    if (checkNewPassword(password, DEMO_USERNAME) === undefined) return password
  }
}

/** Where a terminal is, if any: the stream the demo password may be written to. */
export interface DemoPasswordOutlets {
  /** stderr when it is a terminal; undefined otherwise. */
  readonly terminal: NodeJS.WritableStream | undefined
  /** The log stream (stdout): told where the password is, never the password. */
  readonly log: NodeJS.WritableStream
}

/**
 * Shows the demo password once: on the terminal, or in DEMO_PASSWORD_FILE (mode 0600, replacing
 * any older one) beside the users file, whose path goes to the log stream.
 */
export async function showDemoPassword (
  password: string,
  usersFile: string,
  outlets: DemoPasswordOutlets
): Promise<void> {
  const once = `It works once: at the first login you choose your own (within ${ONE_TIME_PASSWORD_LIFETIME_MS /
    3_600_000} h; after that: npm run users -- reset ${DEMO_USERNAME}).`
  const replace = `${once} Replace it with: npm run users -- add <name>, then npm run users -- remove ${DEMO_USERNAME}`
  if (outlets.terminal !== undefined) {
    outlets.terminal.write(`\nCreated ${usersFile} with the user "${DEMO_USERNAME}".\n  password: ${password}\n` +
      `This is shown only once, on this terminal. ${replace}\n\n`)
    return
  }
  const file = path.join(path.dirname(usersFile), DEMO_PASSWORD_FILE)
  await fsp.rm(file, { force: true })
  await fsp.writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' })
  outlets.log.write(`\nCreated ${usersFile} with the user "${DEMO_USERNAME}". ` +
    'No terminal to show its password on: it is in\n' +
    `  ${file} (readable by this user only). Read it, then delete it. ${replace}\n\n`)
}
