// The contract every UserSlots keeps (src/stores/user-slots/user-slots.ts), as one suite that each
// implementation's test runs with its own factory: at most `max` slots per user, handed out
// exactly so under concurrent acquires; a released slot is free again; releasing twice, or a
// token never issued, frees nothing else; users do not share slots; client-chosen usernames
// such as __proto__ are plain names.
import type { Test } from 'tap'
import type { UserSlots } from '../../../src/stores/user-slots/user-slots.js'

/** Makes a fresh, empty UserSlots, closed at `t`'s teardown. */
export type UserSlotsFactory = (t: Test) => Promise<UserSlots>

export function userSlotsContract (t: Test, factory: UserSlotsFactory): void {
  t.test('acquire: up to max slots, each with its own token, then undefined', async (t) => {
    const slots = await factory(t)
    const tokens = [await slots.acquire('alice', 3), await slots.acquire('alice', 3), await slots.acquire('alice', 3)]
    t.ok(tokens.every((token) => typeof token === 'string' && token.length > 0), 'three tokens')
    t.equal(new Set(tokens).size, 3, 'all different')
    t.equal(await slots.acquire('alice', 3), undefined, 'the fourth is refused')
    t.equal(await slots.count('alice'), 3)
    t.type(await slots.acquire('alice', 4), 'string', 'max is the caller\'s: with 4, a fourth')
    t.equal(await slots.count('alice'), 4)
  })

  t.test('concurrent acquires cannot overshoot max', async (t) => {
    const slots = await factory(t)
    const tokens = await Promise.all(Array.from({ length: 20 }, async () => await slots.acquire('bob', 5)))
    t.equal(tokens.filter((token) => token !== undefined).length, 5, 'exactly five of twenty')
    t.equal(await slots.count('bob'), 5)
  })

  t.test('release frees exactly one slot; twice, or an unknown token, frees nothing more', async (t) => {
    const slots = await factory(t)
    const first = await slots.acquire('carol', 2)
    const second = await slots.acquire('carol', 2)
    if (first === undefined || second === undefined) throw new Error('no slots')
    slots.release('carol', first)
    t.equal(await eventually(async () => await slots.count('carol'), 1), 1, 'one left')
    slots.release('carol', first)
    slots.release('carol', 'never-issued')
    slots.release('nobody', second)
    t.equal(await slots.count('carol'), 1, 'still one')
    const third = await slots.acquire('carol', 2)
    t.type(third, 'string', 'the freed slot is taken again')
    t.equal(await slots.acquire('carol', 2), undefined, 'and the cap holds')
  })

  t.test('users do not share slots; __proto__ and constructor are plain usernames', async (t) => {
    const slots = await factory(t)
    t.type(await slots.acquire('dave', 1), 'string')
    t.equal(await slots.acquire('dave', 1), undefined)
    for (const name of ['erin', '__proto__', 'constructor', 'toString']) {
      t.type(await slots.acquire(name, 1), 'string', `${name} has its own slot`)
      t.equal(await slots.acquire(name, 1), undefined, `${name} is capped on its own`)
    }
    t.equal(await slots.count('hasOwnProperty'), 0)
  })
}

/** Reads `read` until it gives `expected` (a shared store learns of a release asynchronously), for up to 2 s. */
async function eventually<T> (read: () => Promise<T>, expected: T): Promise<T> {
  const deadline = Date.now() + 2000
  let value = await read()
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    value = await read()
  }
  return value
}
