// The rules an account's name and password follow, in one place: the login form's schema, the
// users file, the users CLI and the password hasher read them from here. Their numbers live in
// account-limits.ts, a leaf the error registry's texts quote too; they are re-exported here.
import { MAX_PASSWORD_BYTES, MAX_USERNAME_LENGTH, MIN_PASSWORD_LENGTH } from '../account-limits.js'

export { MAX_PASSWORD_BYTES, MAX_USERNAME_LENGTH, MIN_PASSWORD_LENGTH }

/** Largest login form body the server reads, in bytes as sent (URL-encoded); more is answered 413. */
export const LOGIN_FORM_BODY_LIMIT = 4096

/**
 * The longest login form a browser can send for names and passwords within the rules, in bytes:
 * `username=…&password=…` with every byte of both fields percent-encoded (3 bytes each). 3,283.
 */
export const LOGIN_FORM_WORST_CASE_BYTES =
  'username='.length + 3 * MAX_USERNAME_LENGTH + '&password='.length + 3 * MAX_PASSWORD_BYTES

/** The password rule in words, for people (the CLI's refusal and the login form's). */
export const PASSWORD_RULE = `a password is ${MIN_PASSWORD_LENGTH} characters or more (any characters: spaces, ` +
  'punctuation, any script), not a common one and without your username, with no control characters ' +
  `(a line break, a tab, an escape), and at most ${MAX_PASSWORD_BYTES} bytes in UTF-8 ` +
  `(${MAX_PASSWORD_BYTES} plain ASCII characters, fewer with accents or other scripts: ` +
  "'é' takes 2 bytes, most CJK 3, an emoji 4)"

/**
 * Characters no one can type into the login form's password field: control characters (a browser
 * strips line breaks from it, and a tab moves the focus), and half of a surrogate pair.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it is there to find
const UNTYPEABLE = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * How a password breaks the length and character rule: 'too long' (as typed, or in its NFC form,
 * which is what is hashed), 'too short' (code points of the NFC form), 'untypeable' (a character
 * the login form cannot carry), or undefined when it follows it. The whole set of rules for a new
 * password, with the common and context checks, is checkNewPassword (password-rules/).
 */
export function passwordProblem (password: string): 'too long' | 'too short' | 'untypeable' | undefined {
  const nfc = passwordForm(password)
  if (!fitsPasswordLimit(password) || !fitsPasswordLimit(nfc)) return 'too long'
  if (UNTYPEABLE.test(password)) return 'untypeable'
  if ([...nfc].length < MIN_PASSWORD_LENGTH) return 'too short'
  return undefined
}

/**
 * The form every password is hashed and compared in: Unicode NFC, so `é` typed as one code point
 * or as `e` and a combining accent is one password (systems and keyboards differ in which they send).
 */
export function passwordForm (password: string): string {
  return password.normalize('NFC')
}

/** True when `password` is within MAX_PASSWORD_BYTES (the login's check; it sets no minimum). */
export function fitsPasswordLimit (password: string): boolean {
  return Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES
}

/** Usernames: letters, digits, dot, dash, underscore; 1 to MAX_USERNAME_LENGTH characters. */
const USERNAME_PATTERN = new RegExp(`^[A-Za-z0-9._-]{1,${MAX_USERNAME_LENGTH}}$`)

/** The username rule in words, for people (the CLI's refusal). */
export const USERNAME_RULE = `a username is 1 to ${MAX_USERNAME_LENGTH} letters, digits, dots, dashes or underscores`

/** True when `username` follows the username rule. */
export function isValidUsername (username: string): boolean {
  return USERNAME_PATTERN.test(username)
}

/**
 * The form in which usernames are compared: `Alice` and `alice` are one account, so no one can
 * be given a look-alike of another's name. NFKC, then lower case. The rule admits ASCII only, so
 * today this is ASCII lower case; should it ever admit more, NFKC already folds compatibility
 * forms (full-width letters), but lower case is not full case folding beyond ASCII.
 */
export function canonicalUsername (username: string): string {
  return username.normalize('NFKC').toLowerCase()
}
