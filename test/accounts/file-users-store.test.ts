// FileUsersStore: the users-store contract, then what is its own: owner-only atomic writes,
// refusing a broken or foreign file (or one with look-alike names), keeping the last good state on a bad reload, and
// the watcher.
import t, { type Test } from 'tap'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { FileUsersStore, UsersFileError } from '../../src/accounts/file-users-store.js'
import { UsernameTakenError } from '../../src/accounts/users-store.js'
import { hashFor } from '../helpers/test-server.js'
import { usersStoreContract } from './users-store-contract.js'

function tempFile (t: Test): string {
  return path.join(t.testdir({}), 'users.json')
}

function modeOf (file: string): number {
  return fs.statSync(file).mode & 0o777
}

t.test('the users-store contract', async (t) => {
  usersStoreContract(t, async (t) => {
    const file = tempFile(t)
    await FileUsersStore.create(file, [])
    const store = await FileUsersStore.open(file)
    t.teardown(() => store.close())
    return store
  })
})

t.test('create writes a 0600 file and refuses to overwrite one', async (t) => {
  const file = tempFile(t)
  const hash = await hashFor('password-one')
  await FileUsersStore.create(file, [{ username: 'alice', hash }])
  t.equal(modeOf(file), 0o600)
  t.same(JSON.parse(fs.readFileSync(file, 'utf8')), { version: 1, users: [{ username: 'alice', hash }] })
  await t.rejects(FileUsersStore.create(file, []), { code: 'EEXIST' })
  t.same(JSON.parse(fs.readFileSync(file, 'utf8')).users.length, 1, 'the existing file is untouched')
  t.same(fs.readdirSync(path.dirname(file)), ['users.json'], 'no temp file left behind')
})

t.test('put and remove keep the file 0600 and in step with memory', async (t) => {
  const file = tempFile(t)
  await FileUsersStore.create(file, [])
  const store = await FileUsersStore.open(file)
  t.teardown(() => store.close())
  const removed: string[] = []
  store.onRemoved((name) => removed.push(name))
  await store.put({ username: 'bob', hash: await hashFor('password-two') })
  await store.put({ username: 'alice', hash: await hashFor('password-one') })
  t.same(await store.list(), ['alice', 'bob'])
  t.equal(modeOf(file), 0o600)
  t.equal(await store.remove('bob'), true)
  t.equal(await store.remove('bob'), false)
  t.same(removed, ['bob'])
  t.same((await FileUsersStore.open(file).then((s) => s.list())), ['alice'], 'the file holds the change')
  t.equal(modeOf(file), 0o600)
  await t.rejects(store.put({ username: 'not valid!', hash: await hashFor('password-one') }), TypeError)
  t.same(await store.list(), ['alice'])
})

t.test('a missing, broken or foreign file is refused when opening', async (t) => {
  const dir = t.testdir({
    'not-json.json': '{',
    'wrong-version.json': JSON.stringify({ version: 2, users: [] }),
    'bcrypt.json': JSON.stringify(
      { version: 1, users: [{ username: 'alice', hash: '$2b$10$abcdefghijklmnopqrstuv' }] }
    ),
    'bad-name.json': JSON.stringify(
      { version: 1, users: [{ username: 'al ice', hash: '$argon2id$v=19$m=19456,t=2,p=1$x$y' }] }
    ),
    'bad-deadline.json': JSON.stringify(
      { version: 1, users: [{ username: 'alice', hash: '$argon2id$v=19$m=19456,t=2,p=1$x$y', mustChangeBy: 'soon' }] }
    ),
    'bad-disabled.json': JSON.stringify(
      { version: 1, users: [{ username: 'alice', hash: '$argon2id$v=19$m=19456,t=2,p=1$x$y', disabled: 'yes' }] }
    ),
    'look-alikes.json': JSON.stringify({
      version: 1,
      users: ['alice', 'Alice'].map((username) => ({ username, hash: '$argon2id$v=19$m=19456,t=2,p=1$x$y' }))
    })
  })
  await t.rejects(FileUsersStore.open(path.join(dir, 'missing.json')), { code: 'ENOENT' })
  const broken = [
    'not-json.json', 'wrong-version.json', 'bcrypt.json', 'bad-name.json', 'bad-deadline.json', 'bad-disabled.json',
    'look-alikes.json'
  ]
  for (const name of broken) {
    await t.rejects(FileUsersStore.open(path.join(dir, name)), UsersFileError, name)
  }
  await t.rejects(
    FileUsersStore.open(path.join(dir, 'look-alikes.json')),
    /two accounts whose names differ only in case \(alice, Alice\)/,
    'says which two'
  )
  const hash = await hashFor('password-one')
  await t.rejects(
    FileUsersStore.create(path.join(dir, 'new.json'), [{ username: 'bob', hash }, { username: 'BOB', hash }]),
    UsernameTakenError,
    'create refuses look-alikes too'
  )
  t.notOk(fs.existsSync(path.join(dir, 'new.json')), 'and writes nothing')
})

t.test('reload reports removed users; a broken file keeps the last good state', async (t) => {
  const file = tempFile(t)
  const hash = await hashFor('password-one')
  await FileUsersStore.create(file, [{ username: 'alice', hash }, { username: 'bob', hash }])
  const store = await FileUsersStore.open(file)
  t.teardown(() => store.close())
  const removed: string[] = []
  const errors: unknown[] = []
  store.onRemoved((name) => removed.push(name))
  store.onReloadError((err) => errors.push(err))

  await fsp.writeFile(file, '{ half a file')
  await store.reload()
  t.equal(errors.length, 1, 'the failed reload is reported')
  t.same(await store.list(), ['alice', 'bob'], 'the last good state is kept')
  t.same(removed, [])

  await fsp.writeFile(file, JSON.stringify({ version: 1, users: [{ username: 'alice', hash }] }))
  await store.reload()
  t.same(await store.list(), ['alice'])
  t.same(removed, ['bob'])
})

t.test('the watcher notices a rewrite by another process', async (t) => {
  const file = tempFile(t)
  const hash = await hashFor('password-one')
  await FileUsersStore.create(file, [{ username: 'alice', hash }, { username: 'bob', hash }])
  const store = await FileUsersStore.open(file, { watch: true, watchIntervalMs: 20 })
  t.teardown(() => store.close())
  // The watcher does not keep the process alive (persistent: false); the timer does, and bounds the wait.
  let timer: NodeJS.Timeout | undefined
  const gone = new Promise<string>((resolve, reject) => {
    store.onRemoved(resolve)
    timer = setTimeout(() => reject(new Error('the watcher did not notice within 5 s')), 5000)
  })
  const other = await FileUsersStore.open(file)
  await other.remove('bob')
  t.equal(await gone.finally(() => clearTimeout(timer)), 'bob')
  t.same(await store.list(), ['alice'])
})

t.test('a one-time deadline and disabled are read back, and another process disabling is heard; refresh reads ' +
  'a change before the next poll', async (t) => {
  const file = tempFile(t)
  const hash = await hashFor('password-one')
  await FileUsersStore.create(file, [{ username: 'alice', hash, passwordSetAt: 1, mustChangeBy: 2 }])
  const store = await FileUsersStore.open(file, { watch: true, watchIntervalMs: 20 })
  const unwatched = await FileUsersStore.open(file)
  t.teardown(() => store.close())
  t.same(await store.get('alice'), { username: 'alice', hash, passwordSetAt: 1, mustChangeBy: 2 })
  // The poll does not keep the process alive; this timer does, and bounds the wait.
  let timer: NodeJS.Timeout | undefined
  const disabled = new Promise<string>((resolve, reject) => {
    store.onDisabled(resolve)
    timer = setTimeout(() => reject(new Error('the watcher did not notice within 5 s')), 5000)
  })
  await (await FileUsersStore.open(file)).setDisabled('alice', true)
  t.equal(await disabled.finally(() => clearTimeout(timer)), 'alice', 'heard by the watcher')
  t.equal((await unwatched.get('alice'))?.disabled, undefined, 'a store that does not watch still has the old state')
  await unwatched.refresh()
  t.equal((await unwatched.get('alice'))?.disabled, true, 'until it refreshes')
  const written = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown
  t.match(written, { users: [{ username: 'alice', disabled: true, mustChangeBy: 2 }] })
})

t.test('a users file mounted as a Kubernetes Secret: the symlink re-pointed atomically is picked up within 2 ' +
  's', async (t) => {
  // The layout kubelet writes: users.json -> ..data/users.json, ..data -> a timestamped folder;
  // an update writes a new folder, points ..data_tmp at it and renames that over ..data.
  const dir = t.testdir({})
  const hash = await hashFor('password-one')
  const version = async (name: string, users: Array<{ username: string, hash: string }>): Promise<void> => {
    await fsp.mkdir(path.join(dir, name))
    await fsp.writeFile(path.join(dir, name, 'users.json'), JSON.stringify({ version: 1, users }), { mode: 0o600 })
  }
  await version('..2026_12_01_00_00_00.1', [{ username: 'alice', hash }, { username: 'bob', hash }])
  await fsp.symlink('..2026_12_01_00_00_00.1', path.join(dir, '..data'))
  await fsp.symlink('..data/users.json', path.join(dir, 'users.json'))
  const store = await FileUsersStore.open(path.join(dir, 'users.json'), { watch: true })
  t.teardown(() => store.close())
  t.same(await store.list(), ['alice', 'bob'])
  let timer: NodeJS.Timeout | undefined
  const gone = new Promise<string>((resolve, reject) => {
    store.onRemoved(resolve)
    timer = setTimeout(() => reject(new Error('not noticed within 5 s')), 5000)
  })
  await version('..2026_12_01_00_05_00.2', [{ username: 'alice', hash }])
  await fsp.symlink('..2026_12_01_00_05_00.2', path.join(dir, '..data_tmp'))
  const started = Date.now()
  await fsp.rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'))
  t.equal(await gone.finally(() => clearTimeout(timer)), 'bob')
  t.ok(Date.now() - started < 2000, `noticed ${Date.now() - started} ms after the swap (the default 1 s poll)`)
  t.same(await store.list(), ['alice'])
})
