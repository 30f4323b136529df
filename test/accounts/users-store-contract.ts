// The contract every UsersStore keeps (src/accounts/users-store.ts), as one suite that each
// implementation's test runs with its own factory.
import type { Test } from 'tap'
import { UsernameTakenError, type UsersStore } from '../../src/accounts/users-store.js'
import { hashFor } from '../helpers/test-server.js'

/** Makes a fresh, empty store and registers its teardown on `t`. */
export type UsersStoreFactory = (t: Test) => Promise<UsersStore>

/** Registers the contract's tests on `t` for the store `factory` makes. */
export function usersStoreContract (t: Test, factory: UsersStoreFactory): void {
  t.test('put, get and list; a name is found ignoring case and stays as first given', async (t) => {
    const store = await factory(t)
    const hash = await hashFor('password-one')
    t.same(await store.list(), [])
    await store.put({ username: 'bob', hash })
    await store.put({ username: 'Alice', hash })
    t.same(await store.list(), ['Alice', 'bob'], 'sorted, as stored')
    t.same(await store.get('Alice'), { username: 'Alice', hash })
    t.same(await store.get('alice'), { username: 'Alice', hash }, 'found ignoring case, with the stored name')
    t.same(await store.get('ALICE'), { username: 'Alice', hash })
    t.equal(await store.get('alice '), undefined)
    t.same(
      await store.get('ａｌｉｃｅ'),
      { username: 'Alice', hash },
      'compared NFKC-normalised: full-width letters are the same name'
    )
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      t.equal(
        await store.get(name),
        undefined,
      `${name} is no user`
      )
    }
  })

  t.test('put replaces a hash and reports the change; the same hash again reports nothing', async (t) => {
    const store = await factory(t)
    const changed: string[] = []
    store.onPasswordChanged((name) => changed.push(name))
    await store.put({ username: 'alice', hash: await hashFor('password-one') })
    t.same(changed, [], 'a new user is not a changed password')
    await store.put({ username: 'alice', hash: await hashFor('password-two') })
    await store.put({ username: 'alice', hash: await hashFor('password-two') })
    t.same(changed, ['alice'])
    t.equal((await store.get('alice'))?.hash, await hashFor('password-two'))
  })

  t.test('a look-alike of an existing name (another case) is refused with UsernameTakenError and nothing ' +
    'changes', async (t) => {
    const store = await factory(t)
    const changed: string[] = []
    store.onPasswordChanged((name) => changed.push(name))
    await store.put({ username: 'alice', hash: await hashFor('password-one') })
    for (const username of ['Alice', 'ALICE', 'aLiCe']) {
      const refused = await store.put({ username, hash: await hashFor('password-two') }).catch((err: unknown) => err)
      t.type(refused, UsernameTakenError, `${username} is refused`)
      t.equal((refused as UsernameTakenError).existing, 'alice', 'the error names the existing account')
    }
    t.same(await store.list(), ['alice'])
    t.equal((await store.get('alice'))?.hash, await hashFor('password-one'), 'alice keeps her password')
    t.same(changed, [])
    await store.put({ username: 'alice', hash: await hashFor('password-two') })
    t.same(changed, ['alice'], 'the same name exactly still sets a new password')
  })

  t.test('remove and rehash find the account ignoring case; listeners hear the stored name', async (t) => {
    const store = await factory(t)
    const removed: string[] = []
    store.onRemoved((name) => removed.push(name))
    const hash = await hashFor('password-one')
    await store.put({ username: 'Alice', hash, passwordSetAt: 1 })
    t.equal(await store.rehash('ALICE', hash, await hashFor('password-one, rehashed')), true)
    t.equal((await store.get('Alice'))?.hash, await hashFor('password-one, rehashed'))
    t.equal(await store.remove('alice'), true)
    t.same(removed, ['Alice'])
    t.same(await store.list(), [])
  })

  t.test('remove answers whether the user existed and reports it once', async (t) => {
    const store = await factory(t)
    const removed: string[] = []
    store.onRemoved((name) => removed.push(name))
    await store.put({ username: 'alice', hash: await hashFor('password-one') })
    t.equal(await store.remove('alice'), true)
    t.equal(await store.remove('alice'), false)
    t.equal(await store.remove('__proto__'), false)
    t.same(removed, ['alice'])
    t.equal(await store.get('alice'), undefined)
  })

  t.test('a username that breaks the rules is refused with TypeError and nothing changes', async (t) => {
    const store = await factory(t)
    for (const username of ['', 'al ice', 'a'.repeat(65), 'alice\n', 'ä']) {
      await t.rejects(store.put({ username, hash: await hashFor('password-one') }), TypeError, JSON.stringify(username))
    }
    t.same(await store.list(), [])
  })

  t.test('unsubscribed listeners hear nothing', async (t) => {
    const store = await factory(t)
    const heard: string[] = []
    const offRemoved = store.onRemoved((name) => heard.push(`removed ${name}`))
    const offChanged = store.onPasswordChanged((name) => heard.push(`changed ${name}`))
    offRemoved()
    offChanged()
    await store.put({ username: 'alice', hash: await hashFor('password-one') })
    await store.put({ username: 'alice', hash: await hashFor('password-two') })
    await store.remove('alice')
    t.same(heard, [])
  })

  t.test('changePassword: only from the hash checked, ends the one-time state, keeps the rest, is heard', async (t) => {
    const store = await factory(t)
    const changed: string[] = []
    store.onPasswordChanged((name) => changed.push(name))
    const issued = await hashFor('password-one')
    await store.put({ username: 'Alice', hash: issued, passwordSetAt: 1, mustChangeBy: 100, disabled: true })
    t.equal(await store.changePassword('alice', await hashFor('not the hash'), await hashFor('password-two'), 2), false,
      'not from another hash')
    t.same(changed, [])
    t.equal(await store.changePassword('ALICE', issued, await hashFor('password-two'), 2), true)
    const chosen = await hashFor('password-two')
    t.same(await store.get('alice'), { username: 'Alice', hash: chosen, passwordSetAt: 2, disabled: true },
      'a chosen password, set at 2; disabled stays as it was')
    t.same(changed, ['Alice'])
    t.equal(await store.changePassword('bob', issued, issued, 3), false, 'no such user')
  })

  t.test('setDisabled: disabling is heard once, enabling is not; the password is kept', async (t) => {
    const store = await factory(t)
    const heard: string[] = []
    store.onDisabled((name) => heard.push(`disabled ${name}`))
    store.onPasswordChanged((name) => heard.push(`changed ${name}`))
    const hash = await hashFor('password-one')
    await store.put({ username: 'Alice', hash, passwordSetAt: 1 })
    t.equal(await store.setDisabled('alice', true), 'Alice', 'the stored name')
    t.equal(await store.setDisabled('alice', true), 'Alice')
    t.same(await store.get('alice'), { username: 'Alice', hash, passwordSetAt: 1, disabled: true })
    t.equal(await store.setDisabled('ALICE', false), 'Alice')
    t.same(await store.get('alice'), { username: 'Alice', hash, passwordSetAt: 1 })
    t.same(heard, ['disabled Alice'])
    t.equal(await store.setDisabled('bob', true), undefined, 'no such user')
    await store.refresh()
    t.same(await store.list(), ['Alice'], 'refresh changes nothing that was not changed')
  })
}
