// The password hasher's rules: argon2id at the configured costs, an unknown user checked against
// a dummy hash (false, after as much work), a malformed hash matching nothing, a rehash asked for
// other costs or variants; in a hashing process, the same answers, and close() ends the process
// it owns but never one it shares.
import argon2 from 'argon2'
import t from 'tap'
import { HashingProcess } from '../../src/accounts/hashing-process.js'
import { PasswordHasher } from '../../src/accounts/password-hasher.js'
import { ARGON2_MIN } from '../../src/config/config.js'

const PASSWORD = 'correct horse battery staple'

for (const where of ['this process', 'a hashing process'] as const) {
  t.test(`in ${where}: hash, verify, unknown user, malformed hash`, async (t) => {
    const hashing = where === 'a hashing process' ? new HashingProcess() : undefined
    const hasher = new PasswordHasher(ARGON2_MIN, hashing === undefined ? {} : { hashingProcess: hashing })
    t.teardown(() => hasher.close())
    await hasher.warmUp()
    const hash = await hasher.hash(PASSWORD)
    t.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/, 'argon2id at the configured costs')
    t.ok(await hasher.verify(hash, PASSWORD), 'the password matches')
    t.notOk(await hasher.verify(hash, 'not the password'), 'another does not')
    t.notOk(
      await hasher.verify(undefined, PASSWORD),
      'an unknown user matches nothing (checked against the dummy hash)'
    )
    t.notOk(await hasher.verify('not a hash', PASSWORD), 'a malformed hash matches nothing')
  })
}

t.test('a rehash is asked for other costs, another variant, or what is not a hash', async (t) => {
  const hasher = new PasswordHasher(ARGON2_MIN)
  t.notOk(hasher.needsRehash(await hasher.hash(PASSWORD)), 'not for the configured costs')
  t.ok(hasher.needsRehash(
    await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 3, parallelism: 1 })
  ), 'other costs')
  t.ok(hasher.needsRehash(
    await argon2.hash(PASSWORD, { type: argon2.argon2i, memoryCost: 19456, timeCost: 2, parallelism: 1 })
  ), 'argon2i')
  t.ok(hasher.needsRehash('not a hash'), 'not a hash')
})

t.test('close() ends the hashing process the hasher owns, and leaves a shared one running', async (t) => {
  const shared = new HashingProcess()
  t.teardown(() => shared.close())
  const sharing = new PasswordHasher(ARGON2_MIN, { hashingProcess: shared, closesProcess: false })
  await sharing.warmUp()
  await sharing.close()
  t.ok(shared.running, 'the shared process still runs')
  const other = new PasswordHasher(ARGON2_MIN, { hashingProcess: shared, closesProcess: false })
  t.ok(await other.verify(await other.hash(PASSWORD), PASSWORD), 'and still answers another hasher')

  const owned = new HashingProcess()
  const owning = new PasswordHasher(ARGON2_MIN, { hashingProcess: owned })
  await owning.warmUp()
  t.ok(owned.running)
  await owning.close()
  t.notOk(owned.running, 'an owned process ends with its hasher')
  await t.rejects(owning.hash(PASSWORD), /closed/, 'and later calls fail')
})
