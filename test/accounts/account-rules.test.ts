// The account rules themselves: the password limit is in bytes of UTF-8 (what the login form
// carries), the worst-case form for the longest name and password fits the form's body limit,
// and the minimum counts code points of the NFC form, not UTF-16 units.
import t from 'tap'
import {
  LOGIN_FORM_BODY_LIMIT,
  LOGIN_FORM_WORST_CASE_BYTES,
  MAX_PASSWORD_BYTES,
  MAX_USERNAME_LENGTH,
  passwordProblem
} from '../../src/accounts/account-rules.js'

/** One character in each width of UTF-8, with how many of it make MAX_PASSWORD_BYTES or just under. */
const WIDTHS: ReadonlyArray<[string, number]> = [['p', 1024], ['é', 512], ['漢', 341], ['😀', 256]]

t.test('every name and password within the rules fits the login form, however it is encoded', async (t) => {
  t.ok(
    LOGIN_FORM_WORST_CASE_BYTES <= LOGIN_FORM_BODY_LIMIT,
    `${LOGIN_FORM_WORST_CASE_BYTES} ≤ ${LOGIN_FORM_BODY_LIMIT} bytes`
  )
  // The longest form a client could build from the longest values, every byte percent-encoded.
  const allEncoded = (value: string): string => [...Buffer.from(value, 'utf8')].map(
    (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  ).join('')
  for (const [char, count] of WIDTHS) {
    const body = `username=${allEncoded('a'.repeat(MAX_USERNAME_LENGTH))}&password=${allEncoded(char.repeat(count))}`
    t.ok(body.length <= LOGIN_FORM_WORST_CASE_BYTES, `${count} × ${char}: a ${body.length}-byte form`)
  }
})

t.test('the limit is MAX_PASSWORD_BYTES of UTF-8: at the bound accepted, one character past it refused', async (t) => {
  t.equal(MAX_PASSWORD_BYTES, 1024)
  for (const [char, count] of WIDTHS) {
    t.equal(
      passwordProblem(char.repeat(count)),
      undefined,
      `${count} × ${char} (${Buffer.byteLength(char.repeat(count))} bytes)`
    )
    t.equal(
      passwordProblem(char.repeat(count + 1)),
      'too long',
      `${count + 1} × ${char} (${Buffer.byteLength(char.repeat(count + 1))} bytes)`
    )
  }
})

t.test('the minimum counts code points of the NFC form: fourteen emoji are short, fifteen are not', async (t) => {
  t.equal(passwordProblem('😀'.repeat(14)), 'too short', '28 UTF-16 units, 14 code points')
  t.equal(passwordProblem('😀'.repeat(15)), undefined)
  t.equal(passwordProblem('e\u0301'.repeat(14)), 'too short', '28 code points as typed, 14 in NFC')
  t.equal(passwordProblem('short12'), 'too short')
})

t.test('the byte limit holds for the password as typed and for its NFC form', async (t) => {
  // U+0958 is 3 bytes of UTF-8; its NFC form is two code points (क + ़), 6 bytes.
  const expands = '\u0958'.repeat(200) // 600 bytes typed, 1200 in NFC
  t.equal(Buffer.byteLength(expands.normalize('NFC')), 1200)
  t.equal(passwordProblem(expands), 'too long')
  t.equal(passwordProblem('e\u0301'.repeat(342)), 'too long', '1026 bytes typed (the form carries that), 684 in NFC')
  t.equal(passwordProblem('e\u0301'.repeat(341) + 'e'), undefined, '1024 bytes typed')
})

t.test('a password the login form cannot carry is refused: control characters, half an emoji', async (t) => {
  for (const [name, password] of [
    ['a line break inside', 'correct horse\nbattery'],
    ['a tab', 'correct\thorse'],
    ['a carriage return', 'correct\rhorse1'],
    ['an escape sequence', 'password\u001b[A'],
    ['DEL', 'password\u007f'],
    ['a C1 control', 'password\u0085'],
    ['a lone high surrogate', 'password\ud83d'],
    ['a lone low surrogate', '\ude00password']
  ] as const) {
    t.equal(passwordProblem(password), 'untypeable', name)
  }
  t.equal(passwordProblem('correct horse battery'), undefined, 'spaces are typeable')
  t.equal(passwordProblem('😀 émoji 漢字 fine'), undefined, 'and so is any printable script')
})
