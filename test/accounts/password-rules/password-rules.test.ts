// The rules a new password follows, through checkNewPassword: length only (15 code points of the
// NFC form up to 1024 bytes, any printable character of any script, no composition rule), no
// context word, not on the common list; each refusal with its registry code and exact sentence,
// checked in the registry's order.
import t from 'tap'
import { MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH } from '../../../src/accounts/account-rules.js'
import { checkNewPassword } from '../../../src/accounts/password-rules/password-rules.js'
import { PASSWORD_REFUSALS } from '../../../src/errors.js'

t.test('the refusals say why in plain words, one registry entry each', async (t) => {
  t.ok(Object.isFrozen(PASSWORD_REFUSALS))
  t.same(PASSWORD_REFUSALS, {
    password_too_long: 'This password is too long: at most 1024 bytes, which is 1024 plain ASCII characters or ' +
      'fewer with accents or other scripts.',
    password_untypeable: 'This password holds a character the login form cannot carry (a line break, a tab or ' +
      'another control character).',
    password_has_username: 'This password contains your username.',
    password_has_context_word: 'This password contains the name of this service or of one of its heroes.',
    password_common: 'This password is on a list of commonly used or breached passwords.',
    password_too_short: 'This password is too short: use at least 15 characters. A few words with spaces ' +
      'between them make a good one.'
  })
})

t.test('each rule refuses with its code and sentence', async (t) => {
  const cases: ReadonlyArray<[string, string, keyof typeof PASSWORD_REFUSALS]> = [
    ['p'.repeat(MAX_PASSWORD_BYTES + 1), 'bob', 'password_too_long'],
    ['correct horse\nbattery staple', 'bob', 'password_untypeable'],
    ['Bob Smith has a long password', 'bob.smith', 'password_has_username'],
    ['the batman is watching you', 'alice', 'password_has_context_word'],
    ['password1', 'alice', 'password_common'],
    ['iloveyou', 'alice', 'password_common'],
    ['1q2w3e4r5t6y7u8i9o0p', 'alice', 'password_common'],
    ['short but ok?', 'alice', 'password_too_short']
  ]
  for (const [password, username, code] of cases) {
    const refusal = { code, message: PASSWORD_REFUSALS[code] }
    t.same(checkNewPassword(password, username), refusal, `${code}: ${password.slice(0, 30)}`)
  }
})

t.test('the minimum is 15 code points of the NFC form', async (t) => {
  t.equal(MIN_PASSWORD_LENGTH, 15)
  const decomposed = 'e\u0301' // é as two code points: one in NFC
  t.equal(checkNewPassword(decomposed.repeat(14), 'alice')?.code, 'password_too_short', '28 typed, 14 in NFC')
  t.equal(checkNewPassword(decomposed.repeat(15), 'alice'), undefined, '15 in NFC')
  t.equal(checkNewPassword('😀'.repeat(14), 'alice')?.code, 'password_too_short', '28 UTF-16 units, 14 code points')
  t.equal(checkNewPassword('😀'.repeat(15), 'alice'), undefined)
  t.equal(checkNewPassword('👨‍👩‍👧‍👦👨‍👩‍👧‍👦', 'alice')?.code, 'password_too_short', 'two graphemes of 7 code points: 14')
  t.equal(checkNewPassword('zebra quilt mop', 'alice'), undefined, '15 ASCII characters')
  t.equal(checkNewPassword('zebra quilt mo', 'alice')?.code, 'password_too_short', '14')
})

t.test('long passwords, every printable character and any script are accepted, with no composition rule', async (t) => {
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')
  for (const [name, password] of [
    ['64 characters', 'a sixty four character passphrase made of plain lower case words'.slice(0, 64)],
    ['every printable ASCII character, space included', printable],
    ['the longest: 1024 bytes', 'lantern '.repeat(128)],
    ['lower case letters only', 'zebraquiltmoplantern'],
    ['digits only', '73910462857301946'],
    ['Cyrillic', 'пароль для входа в систему'],
    ['CJK', '我的密码是一句很长的话语你猜不到'],
    ['emoji and accents', '😀 émoji 漢字 are all fine here'],
    ['spaces inside', 'four   spaces   between   words']
  ] as const) {
    t.equal(checkNewPassword(password, 'alice'), undefined, name)
  }
})

t.test('a password is checked in its NFC form: both spellings of é get the same answer', async (t) => {
  const composed = 'caf\u00e9 au lait tous les matins'
  const decomposed = 'cafe\u0301 au lait tous les matins'
  t.not(composed, decomposed)
  t.same(checkNewPassword(decomposed, 'alice'), checkNewPassword(composed, 'alice'))
  t.same(checkNewPassword('Ale\u0301xis and his long password', 'al\u00e9xis')?.code, 'password_has_username')
})
