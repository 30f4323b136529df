// The password hasher's rules: argon2id at the configured costs, an unknown user checked against
// a dummy hash (false, after as much work), a malformed hash matching nothing, a rehash asked for
// other costs or variants; every password hashed in NFC, and match naming the form that matched;
// in a hashing process, the same answers, and close() ends the process it owns but never one it
// shares.
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

t.test('passwords are hashed in NFC; match tells which form matched, for hashes made before that too', async (t) => {
  const hasher = new PasswordHasher(ARGON2_MIN)
  const decomposed = 'cafe\u0301 au lait tous les matins'
  const composed = decomposed.normalize('NFC')
  const hash = await hasher.hash(decomposed)
  t.ok(await argon2.verify(hash, composed), 'the hash is of the NFC form')
  t.equal(await hasher.match(hash, decomposed), 'nfc', 'typed decomposed: its NFC form matches')
  t.equal(await hasher.match(hash, composed), 'nfc', 'typed composed')
  t.equal(await hasher.match(hash, 'cafe au lait tous les matins'), undefined, 'another password: no match')
  const older = await argon2.hash(decomposed, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 })
  t.equal(await hasher.match(older, decomposed), 'as typed', 'a hash of the form as typed matches it as typed')
  t.equal(await hasher.match(older, composed), undefined, 'but not the NFC form (no one could know it was typed so)')
  t.equal(await hasher.match(undefined, decomposed), undefined, 'an unknown user matches nothing')
  t.equal(await hasher.match('not a hash', decomposed), undefined, 'nor does a malformed hash')
})

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
