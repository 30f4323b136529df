// The default accounts store: usernames, argon2id hashes and each account's state (a one-time
// password's deadline, disabled) in a JSON file written atomically
// (temp file + fsync + rename) with owner-only permissions, reloaded when another process (the
// users CLI, another instance) changes it. Every change is a read-modify-write of the file under
// a lock (proper-lockfile), so two writers at once never lose each other's change.
import { EventEmitter } from 'node:events'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import lockfile from 'proper-lockfile'
import { canonicalUsername, isValidUsername } from './account-rules.js'
import { credentialOf, UsernameTakenError, type UserRecord, type UsersStore } from './users-store.js'

/** How long a writer waits for another's lock (about 3 s in all), and when a lock is stale (ms). */
const LOCK_OPTIONS = { retries: { retries: 15, minTimeout: 20, maxTimeout: 300 }, stale: 10_000 }

interface UsersFileContent {
  version: 1
  users: UserRecord[]
}

/** Thrown when the users file exists but cannot be read as a users file. */
export class UsersFileError extends Error {
  override name = 'UsersFileError'
}

/** Users by their canonical name (canonicalUsername): one entry per account, however it is spelt. */
type UsersByName = Map<string, UserRecord>

/** Users in a JSON file. */
export class FileUsersStore implements UsersStore {
  readonly file: string
  #users: UsersByName = new Map()
  readonly #events = new EventEmitter()
  /** The poll that watches the file, while watching. */
  #poll: NodeJS.Timeout | undefined
  /** The file's version (fileVersion) as last read, taken before reading it. */
  #loadedVersion: string | undefined
  #checking = false
  /** The reload running now, if any: the next one waits for it. */
  #reloads: Promise<void> = Promise.resolve()

  private constructor (file: string) {
    this.file = file
  }

  /**
   * Opens the users file (it must exist unless `create` is given, which starts empty).
   * With `watch`, reloads when the file changes and reports removed users (polls every `watchIntervalMs`).
   */
  static async open (
    file: string,
    options: { watch?: boolean, watchIntervalMs?: number } = {}
  ): Promise<FileUsersStore> {
    const store = new FileUsersStore(file)
    store.#loadedVersion = await fileVersion(file)
    store.#users = await readUsersFile(file)
    if (options.watch === true) store.#watch(options.watchIntervalMs ?? 1000)
    return store
  }

  /** True when the file exists. */
  static async exists (file: string): Promise<boolean> {
    try {
      await fsp.access(file)
      return true
    } catch {
      return false
    }
  }

  /** Creates a new users file holding `records`; fails if the file exists or two names differ only in case. */
  static async create (file: string, records: readonly UserRecord[]): Promise<void> {
    const users: UsersByName = new Map()
    for (const record of records) {
      const existing = users.get(canonicalUsername(record.username))
      if (existing !== undefined) throw new UsernameTakenError(existing.username)
      users.set(canonicalUsername(record.username), record)
    }
    await writeUsersFile(file, users, 'wx')
  }

  async get (username: string): Promise<UserRecord | undefined> {
    return this.#users.get(canonicalUsername(username))
  }

  async list (): Promise<readonly string[]> {
    return [...this.#users.values()].map((record) => record.username).sort()
  }

  async put (record: UserRecord): Promise<void> {
    if (!isValidUsername(record.username)) throw new TypeError('invalid username')
    const key = canonicalUsername(record.username)
    await this.#change((users) => {
      const existing = users.get(key)
      if (existing !== undefined && existing.username !== record.username) {
        throw new UsernameTakenError(existing.username)
      }
      users.set(key, record)
    })
  }

  async remove (username: string): Promise<boolean> {
    let existed = false
    await this.#change((users) => { existed = users.delete(canonicalUsername(username)) })
    return existed
  }

  async changePassword (username: string, expectedHash: string, hash: string, passwordSetAt: number): Promise<boolean> {
    let changed = false
    const key = canonicalUsername(username)
    await this.#change((users) => {
      const current = users.get(key)
      if (current?.hash !== expectedHash) return
      const { mustChangeBy: _ended, ...kept } = current
      users.set(key, { ...kept, hash, passwordSetAt })
      changed = true
    })
    return changed
  }

  async setDisabled (username: string, disabled: boolean): Promise<string | undefined> {
    let stored: string | undefined
    const key = canonicalUsername(username)
    await this.#change((users) => {
      const current = users.get(key)
      if (current === undefined) return
      const { disabled: _was, ...kept } = current
      users.set(key, disabled ? { ...kept, disabled } : kept)
      stored = current.username
    })
    return stored
  }

  async refresh (): Promise<void> {
    const version = await fileVersion(this.file)
    if (version === this.#loadedVersion) return
    this.#loadedVersion = version
    await this.reload()
  }

  async rehash (username: string, expectedHash: string, hash: string): Promise<boolean> {
    let replaced = false
    const key = canonicalUsername(username)
    await this.#change((users) => {
      const current = users.get(key)
      if (current?.hash !== expectedHash) return
      users.set(key, { ...current, hash })
      replaced = true
    })
    return replaced
  }

  /**
   * What is wrong with the file's permissions: readable or writable by others, or in a folder
   * others may write to. Empty when all is well (the server warns about each).
   */
  async permissionProblems (): Promise<string[]> {
    const problems: string[] = []
    const file = await fsp.stat(this.file)
    if ((file.mode & 0o077) !== 0) {
      problems.push(`${this.file} can be read or written by others (mode ${(file.mode & 0o777).toString(8)}; use 600)`)
    }
    const dir = await fsp.stat(path.dirname(this.file))
    if ((dir.mode & 0o022) !== 0) {
      problems.push(`${path.dirname(this.file)} can be written by others (mode ${(dir.mode & 0o777).toString(8)})`)
    }
    return problems
  }

  onRemoved (listener: (username: string) => void): () => void {
    this.#events.on('removed', listener)
    return () => this.#events.off('removed', listener)
  }

  onPasswordChanged (listener: (username: string) => void): () => void {
    this.#events.on('passwordChanged', listener)
    return () => this.#events.off('passwordChanged', listener)
  }

  onDisabled (listener: (username: string) => void): () => void {
    this.#events.on('disabled', listener)
    return () => this.#events.off('disabled', listener)
  }

  async close (): Promise<void> {
    clearInterval(this.#poll)
    this.#poll = undefined
    this.#events.removeAllListeners()
  }

  /**
   * Re-reads the file and reports users that are gone or have a new password; a broken file keeps the last good
   * state.
   */
  async reload (): Promise<void> {
    // One read at a time, each applied in turn (the poll and refresh may both ask): a read started
    // earlier never lands after a later one.
    const turn = this.#reloads.then(async () => { await this.#readAndApply() })
    this.#reloads = turn
    await turn
  }

  async #readAndApply (): Promise<void> {
    let next: Map<string, UserRecord>
    try {
      next = await readUsersFile(this.file)
    } catch (err) {
      this.#events.emit('reloadError', err)
      return
    }
    this.#apply(next)
  }

  /** Applies `edit` to the file as it is now, under the lock, then to memory. */
  async #change (edit: (users: UsersByName) => void): Promise<void> {
    // A lock found taken over (stale) is reported, not thrown from a timer (which would crash).
    const release = await lockfile.lock(
      this.file,
      { ...LOCK_OPTIONS, onCompromised: (err) => this.#events.emit('reloadError', err) }
    )
    try {
      const users = await readUsersFile(this.file)
      edit(users)
      await writeUsersFile(this.file, users)
      this.#apply(users)
    } finally {
      await release()
    }
  }

  /**
   * Takes `next` as the current state, reporting users gone, disabled and passwords changed (not rehashed),
   * by the name they were stored under. An account whose stored spelling changed (another process
   * wrote `Alice` for `alice`) is reported removed: its sessions carry the old name.
   */
  #apply (next: UsersByName): void {
    const before = this.#users
    this.#users = next
    for (const [key, record] of before) {
      const now = next.get(key)
      if (now === undefined || now.username !== record.username) this.#events.emit('removed', record.username)
      else if (now.disabled === true && record.disabled !== true) this.#events.emit('disabled', record.username)
      else if (credentialOf(now) !== credentialOf(record)) this.#events.emit('passwordChanged', record.username)
    }
  }

  onReloadError (listener: (err: unknown) => void): () => void {
    this.#events.on('reloadError', listener)
    return () => this.#events.off('reloadError', listener)
  }

  /**
   * Polls the file's version against the one last read, not against the previous poll (as
   * fs.watchFile does): a change between reading the file and the first poll is not missed.
   */
  #watch (intervalMs: number): void {
    this.#poll = setInterval(() => { void this.#reloadIfChanged() }, intervalMs).unref()
  }

  async #reloadIfChanged (): Promise<void> {
    if (this.#checking) return
    this.#checking = true
    try {
      const version = await fileVersion(this.file)
      if (version === this.#loadedVersion || this.#poll === undefined) return
      // Taken before reading: a change while reading is seen at the next poll.
      this.#loadedVersion = version
      await this.reload()
    } finally {
      this.#checking = false
    }
  }
}

/** What says a file changed (its inode, size and modification time), or undefined when it is missing. */
async function fileVersion (file: string): Promise<string | undefined> {
  try {
    const stat = await fsp.stat(file)
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`
  } catch {
    return undefined
  }
}

async function readUsersFile (file: string): Promise<UsersByName> {
  const text = await fsp.readFile(file, 'utf8')
  let content: unknown
  try {
    content = JSON.parse(text)
  } catch {
    throw new UsersFileError(`${file} is not valid JSON`)
  }
  const users: UsersByName = new Map()
  const list = (content as Partial<UsersFileContent> | null)?.users
  if ((content as Partial<UsersFileContent> | null)?.version !== 1 || !Array.isArray(list)) {
    throw new UsersFileError(`${file} is not a hero-socket users file (version 1)`)
  }
  for (const entry of list as unknown[]) {
    const record = userRecordOf(entry)
    if (record === undefined) {
      throw new UsersFileError(`${file} has an entry that is not a username with an argon2id hash`)
    }
    const { username } = record
    const existing = users.get(canonicalUsername(username))
    if (existing !== undefined) {
      throw new UsersFileError(`${file} has two accounts whose names differ only in case (${existing.username}, ` +
        `${username}); names are compared ignoring case: remove one of them from the file`)
    }
    users.set(canonicalUsername(username), record)
  }
  return users
}

/** The record an entry of the file holds (only the known fields), or undefined when it is not a valid one. */
function userRecordOf (entry: unknown): UserRecord | undefined {
  const { username, hash, passwordSetAt, mustChangeBy, disabled } = (entry ?? {}) as Partial<UserRecord>
  if (typeof username !== 'string' || !isValidUsername(username) ||
      typeof hash !== 'string' || !hash.startsWith('$argon2id$') ||
      (passwordSetAt !== undefined && !Number.isSafeInteger(passwordSetAt)) ||
      (mustChangeBy !== undefined && !Number.isSafeInteger(mustChangeBy)) ||
      (disabled !== undefined && typeof disabled !== 'boolean')) {
    return undefined
  }
  return {
    username,
    hash,
    ...(passwordSetAt === undefined ? {} : { passwordSetAt }),
    ...(mustChangeBy === undefined ? {} : { mustChangeBy }),
    ...(disabled === true ? { disabled } : {})
  }
}

/**
 * Writes atomically: a 0600 temp file in the same folder, fsync, then rename over the target.
 * With 'wx' the temp file is hard-linked instead, which fails if the target exists: two first
 * starts at once cannot overwrite each other's file.
 */
async function writeUsersFile (path_: string, users: UsersByName, flag: 'w' | 'wx' = 'w'): Promise<void> {
  // Through a symlink (a mounted Secret's layout) the file it points to is replaced, not the link.
  const file = flag === 'w' ? await fsp.realpath(path_) : path_
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const content: UsersFileContent = {
    version: 1,
    users: [...users.values()].sort((a, b) => a.username.localeCompare(b.username))
  }
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await fsp.open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(JSON.stringify(content, null, 2) + '\n')
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    if (flag === 'wx') {
      await fsp.link(temp, file)
      await fsp.rm(temp)
    } else {
      await fsp.rename(temp, file)
    }
  } catch (err) {
    await fsp.rm(temp, { force: true })
    throw err
  }
  await fsp.chmod(file, 0o600)
}
