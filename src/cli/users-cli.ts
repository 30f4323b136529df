// The users CLI: `add <name>` (password from stdin when piped, prompted without echo on a
// terminal), `remove <name>`, `list`. Writes the users file a running server watches.
import { PASSWORD_RULE, USERNAME_RULE, isValidUsername } from '../accounts/account-rules.js'
import { FileUsersStore, UsersFileError } from '../accounts/file-users-store.js'
import { PasswordHasher } from '../accounts/password-hasher.js'
import { checkNewPassword } from '../accounts/password-rules/password-rules.js'
import { UsernameTakenError } from '../accounts/users-store.js'
import { ConfigError, loadConfig } from '../config/config.js'

const USAGE = 'usage: npm run users -- add <name> | remove <name> | list'

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
  const [command, name, ...rest] = args
  if (rest.length > 0) throw new CliError(USAGE)
  const config = loadConfig()
  if (command === 'list' && name === undefined) {
    if (!await FileUsersStore.exists(config.accounts.usersFile)) return
    const store = await FileUsersStore.open(config.accounts.usersFile)
    for (const username of await store.list()) process.stdout.write(username + '\n')
    return
  }
  if ((command !== 'add' && command !== 'remove') || name === undefined) throw new CliError(USAGE)
  if (!isValidUsername(name)) throw new CliError(USERNAME_RULE)

  if (command === 'add') {
    const password = await readPassword()
    const refused = checkNewPassword(password, name)
    if (refused !== undefined) throw new CliError(`${refused.message} (In full: ${PASSWORD_RULE}.)`)
    const hash = await new PasswordHasher(config.argon2).hash(password)
    if (!await FileUsersStore.exists(config.accounts.usersFile)) {
      await FileUsersStore.create(config.accounts.usersFile, [])
    }
    const store = await FileUsersStore.open(config.accounts.usersFile)
    const existed = await store.get(name) !== undefined
    // The store refuses a look-alike of an existing name (`Alice` beside `alice`) under its lock.
    await store.put({ username: name, hash, passwordSetAt: Date.now() })
    process.stdout.write(`${existed ? 'updated' : 'added'} ${name}\n`)
    return
  }
  const store = await FileUsersStore.exists(config.accounts.usersFile)
    ? await FileUsersStore.open(config.accounts.usersFile)
    : undefined
  const stored = (await store?.get(name))?.username
  if (store === undefined || stored === undefined || !await store.remove(stored)) throw new CliError(`no user ${name}`)
  process.stdout.write(`removed ${stored}\n`)
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
