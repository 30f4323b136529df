// The first start's demo password follows the password rules: a random draw that breaks one
// (holds `demo` or a hero's name) is drawn again, and the account it makes logs in with it, once:
// it is a one-time password, to be changed within 72 hours.
import path from 'node:path'
import t from 'tap'
import { ONE_TIME_PASSWORD_LIFETIME_MS } from '../../src/account-limits.js'
import { DEMO_USERNAME, demoPassword, ensureUsersFile } from '../../src/accounts/first-start.js'
import { FileUsersStore } from '../../src/accounts/file-users-store.js'
import { PasswordHasher } from '../../src/accounts/password-hasher.js'
import { checkNewPassword } from '../../src/accounts/password-rules/password-rules.js'
import { ARGON2_MIN, loadConfig } from '../../src/config/config.js'

t.test('a draw that breaks the rules is drawn again', async (t) => {
  const draws = ['xxDeMoxxxxxxxxxxxxxxxxxx', 'xxxxhulkxxxxxxxxxxxxxxxx', 'password1', 'q7Rk2PzW9vLmX4nTb8YcJ3sH']
  let calls = 0
  const password = demoPassword(() => draws[calls++] ?? '')
  t.equal(password, 'q7Rk2PzW9vLmX4nTb8YcJ3sH', 'the first draw that follows the rules')
  t.equal(calls, 4, 'after three refused draws')
})

t.test('the demo password is 24 random characters that follow the rules, and logs in', async (t) => {
  for (let i = 0; i < 20; i++) {
    const password = demoPassword()
    t.match(password, /^[A-Za-z0-9_-]{24}$/)
    t.equal(checkNewPassword(password, DEMO_USERNAME), undefined)
  }
  const dataDir = t.testdir({})
  const config = loadConfig({ DATA_DIR: dataDir }) // the development defaults: a first start makes the demo user
  const usersFile = path.join(dataDir, 'users.json')
  t.equal(config.accounts.usersFile, usersFile)
  const hasher = new PasswordHasher(ARGON2_MIN)
  const before = Date.now()
  const password = await ensureUsersFile(config, hasher)
  t.ok(password !== undefined, 'the file was made')
  t.equal(checkNewPassword(password ?? '', DEMO_USERNAME), undefined, 'its password follows the rules')
  const demo = await (await FileUsersStore.open(usersFile)).get(DEMO_USERNAME)
  t.ok(await hasher.verify(demo?.hash, password ?? ''), 'and matches the stored hash')
  const setAt = demo?.passwordSetAt ?? 0
  t.ok(setAt >= before && setAt <= Date.now(), 'set now')
  t.equal(demo?.mustChangeBy, setAt + ONE_TIME_PASSWORD_LIFETIME_MS, 'one-time: to be changed within 72 h')
  t.equal(await ensureUsersFile(config, hasher), undefined, 'a second start makes nothing')
})
