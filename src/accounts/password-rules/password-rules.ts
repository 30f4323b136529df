// The rules a new password follows, in one place for every way a password is set: the users
// CLI's `add` and `reset`, the first start's demo password, and the change-password page. Length only, no
// composition rules (ASVS 6.2.1, 6.2.5, 6.2.9), counted in code points after NFC; then no context
// word (6.2.11) and not on the common-password list (6.2.4, 6.2.12). Logins check none of this:
// a password already set keeps working. docs/security.md says the rules and why.
import { PASSWORD_REFUSALS, type PasswordRefusalCode } from '../../errors.js'
import { passwordForm, passwordProblem } from '../account-rules.js'
import { commonPasswords } from './common-passwords.js'
import { contextWordIn } from './context-words.js'

/** Why a password was refused: the registry's code and the sentence a person reads. */
export interface PasswordRefusal {
  readonly code: PasswordRefusalCode
  readonly message: string
}

/**
 * Checks a password someone is choosing for `username`. The first rule it breaks, in the order
 * of PASSWORD_REFUSALS; undefined when it follows them all. The first call reads the
 * common-password list (about a second).
 */
export function checkNewPassword (password: string, username: string): PasswordRefusal | undefined {
  const code = refusalCode(passwordForm(password), username)
  return code === undefined ? undefined : { code, message: PASSWORD_REFUSALS[code] }
}

function refusalCode (password: string, username: string): PasswordRefusalCode | undefined {
  const problem = passwordProblem(password)
  if (problem === 'too long') return 'password_too_long'
  if (problem === 'untypeable') return 'password_untypeable'
  const context = contextWordIn(password, username)
  if (context === 'username') return 'password_has_username'
  if (context === 'service') return 'password_has_context_word'
  if (commonPasswords().has(password)) return 'password_common'
  if (problem === 'too short') return 'password_too_short'
  return undefined
}
