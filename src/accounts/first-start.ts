// First start: with no users file, create one holding `demo` with a random password, so a
// newcomer can log in at once. The password is returned for the caller to print once.
import { randomBytes } from 'node:crypto'
import { FileUsersStore } from './file-users-store.js'
import type { PasswordHasher } from './password-hasher.js'

/** The demo account's name. */
export const DEMO_USERNAME = 'demo'

/**
 * Creates `file` with the demo user when it does not exist.
 * @returns the demo password (to print once), or undefined when the file already existed
 */
export async function ensureUsersFile (file: string, hasher: PasswordHasher): Promise<string | undefined> {
  if (await FileUsersStore.exists(file)) return undefined
  const password = randomBytes(15).toString('base64url')
  const hash = await hasher.hash(password)
  try {
    await FileUsersStore.create(file, [{ username: DEMO_USERNAME, hash, passwordSetAt: Date.now() }])
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined
    throw err
  }
  return password
}
