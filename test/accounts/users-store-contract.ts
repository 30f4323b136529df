// The contract every UsersStore keeps (src/accounts/users-store.ts), as one suite that each
// implementation's test runs with its own factory.
import type { Test } from 'tap'
import type { UsersStore } from '../../src/accounts/users-store.js'
import { hashFor } from '../helpers/test-server.js'

/** Makes a fresh, empty store and registers its teardown on `t`. */
export type UsersStoreFactory = (t: Test) => Promise<UsersStore>

/** Registers the contract's tests on `t` for the store `factory` makes. */
export function usersStoreContract (t: Test, factory: UsersStoreFactory): void {
  t.test('put, get and list; names are exact and case-sensitive', async (t) => {
    const store = await factory(t)
    const hash = await hashFor('password-one')
    t.same(await store.list(), [])
    await store.put({ username: 'bob', hash })
    await store.put({ username: 'alice', hash })
    t.same(await store.list(), ['alice', 'bob'], 'sorted')
    t.same(await store.get('alice'), { username: 'alice', hash })
    t.equal(await store.get('Alice'), undefined)
    t.equal(await store.get('alice '), undefined)
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) t.equal(await store.get(name), undefined, `${name} is no user`)
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
}
