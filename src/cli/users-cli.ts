// The users CLI: `add <name>` (password from stdin when piped, prompted without echo on a
// terminal; on an existing account, a reset), `reset <name>` (an existing account only), `remove
// <name>`, `disable <name>`, `enable <name>`, `list`. A password set by add or reset is one-time:
// the person must choose their own at the first login, within ONE_TIME_PASSWORD_LIFETIME_MS;
// `--permanent` sets a lasting one on purpose (automation, service accounts), and says so. Writes
// the users file a running server watches (it ends the sessions of a changed or disabled account).
import { PASSWORD_RULE, USERNAME_RULE, isValidUsername } from '../accounts/account-rules.js'
import { FileUsersStore, UsersFileError } from '../accounts/file-users-store.js'
import { PasswordHasher } from '../accounts/password-hasher.js'
import { checkNewPassword } from '../accounts/password-rules/password-rules.js'
import { UsernameTakenError } from '../accounts/users-store.js'
import { ONE_TIME_PASSWORD_LIFETIME_MS } from '../account-limits.js'
import { ConfigError, loadConfig, type Config } from '../config/config.js'

const USAGE = 'usage: npm run users -- add <name> [--permanent] | reset <name> [--permanent] | remove <name> | ' +
  'disable <name> | enable <name> | list'

/** The commands that take a name, and whether they take --permanent. */
const NAMED_COMMANDS: ReadonlyMap<string, boolean> = new Map([
  ['add', true], ['reset', true], ['remove', false], ['disable', false], ['enable', false]
])

/** Reads a password: the whole of stdin when piped, else a no-echo prompt on the terminal. */
async function readPassword (): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  }
  const first = await promptHidden('Password: ')
  const second = await promptHidden('Repeat password: ')
  if (first !== second) throw new CliError('the passwords do not match')
  return first
}

function promptHidden (prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin
    process.stderr.write(prompt)
    stdin.setRawMode(true)
    stdin.resume()
    let value = ''
    const onData = (data: Buffer): void => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          done()
          resolve(value)
          return
        } else if (char === '\u0003') {
          done()
          reject(new CliError('cancelled'))
          return
        } else if (char === '\u007f' || char === '\b') {
          value = [...value].slice(0, -1).join('') // one character, not half of an emoji
        } else {
          value += char
        }
      }
    }
    const done = (): void => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
    }
    stdin.on('data', onData)
  })
}

class CliError extends Error {}

async function run (args: string[]): Promise<void> {
  const permanent = args.includes('--permanent')
  const [command, name, ...rest] = args.filter((arg) => arg !== '--permanent')
  if (rest.length > 0) throw new CliError(USAGE)
  const config = loadConfig()
  if (command === 'list' && name === undefined && !permanent) {
    if (!await FileUsersStore.exists(config.accounts.usersFile)) return
    const store = await FileUsersStore.open(config.accounts.usersFile)
    for (const username of await store.list()) process.stdout.write(username + '\n')
    return
  }
  const takesPermanent = command === undefined ? undefined : NAMED_COMMANDS.get(command)
  if (takesPermanent === undefined || name === undefined || (permanent && !takesPermanent)) throw new CliError(USAGE)
  if (!isValidUsername(name)) throw new CliError(USERNAME_RULE)
  if (command === 'add' || command === 'reset') return await setPassword(config, command, name, permanent)
  const store = await FileUsersStore.exists(config.accounts.usersFile)
    ? await FileUsersStore.open(config.accounts.usersFile)
    : undefined
  const stored = (await store?.get(name))?.username
  if (store === undefined || stored === undefined) throw new CliError(`no user ${name}`)
  if (command === 'remove') {
    if (!await store.remove(stored)) throw new CliError(`no user ${name}`)
    process.stdout.write(`removed ${stored}\n`)
  } else if (await store.setDisabled(stored, command === 'disable') === undefined) {
    throw new CliError(`no user ${name}`)
  } else {
    process.stdout.write(command === 'disable'
      ? `disabled ${stored}: logins are refused and its sessions end (the account and its password are kept)\n`
      : `enabled ${stored}: logins with its password work again\n`)
  }
}

/**
 * add and reset: a password from stdin or the terminal, through the password rules; one-time
 * unless `permanent`. A reset keeps the account disabled if it was.
 */
async function setPassword (config: Config, command: 'add' | 'reset', name: string, permanent: boolean): Promise<void> {
  const exists = await FileUsersStore.exists(config.accounts.usersFile)
  const known = exists && await (await FileUsersStore.open(config.accounts.usersFile)).get(name) !== undefined
  if (command === 'reset' && !known) throw new CliError(`no user ${name}`)
  const password = await readPassword()
  const refused = checkNewPassword(password, name)
  if (refused !== undefined) throw new CliError(`${refused.message} (In full: ${PASSWORD_RULE}.)`)
  const hash = await new PasswordHasher(config.argon2).hash(password)
  if (!exists) await FileUsersStore.create(config.accounts.usersFile, [])
  const store = await FileUsersStore.open(config.accounts.usersFile)
  const existing = await store.get(name)
  const setAt = Date.now()
  const mustChangeBy = setAt + ONE_TIME_PASSWORD_LIFETIME_MS
  // The store refuses a look-alike of an existing name (`Alice` beside `alice`) under its lock.
  await store.put({
    username: name,
    hash,
    passwordSetAt: setAt,
    ...(permanent ? {} : { mustChangeBy }),
    ...(existing?.disabled === true ? { disabled: true } : {})
  })
  const done = `${existing === undefined ? 'added' : 'updated'} ${name}`
  process.stdout.write(permanent
    ? `${done} with a lasting password (--permanent): no change is asked at login\n`
    : `${done} with a one-time password: it must be changed at the first login, which must come before ` +
      `${new Date(mustChangeBy).toISOString()} (${ONE_TIME_PASSWORD_LIFETIME_MS / 3_600_000} h)\n`)
}

try {
  await run(process.argv.slice(2))
} catch (err) {
  if (
    err instanceof CliError || err instanceof ConfigError || err instanceof UsersFileError ||
    err instanceof UsernameTakenError
  ) {
    process.stderr.write(`users: ${err.message}\n`)
    process.exit(2)
  }
  throw err
}
