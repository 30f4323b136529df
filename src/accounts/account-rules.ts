// The rules an account's name and password follow, in one place: the login form's schema, the
// users file, the users CLI, the password hasher and the error texts all read them from here.

/** Longest username accepted, in characters. */
export const MAX_USERNAME_LENGTH = 64
/** Longest password accepted, in characters; longer ones are refused before argon2 runs. */
export const MAX_PASSWORD_LENGTH = 1024
/** Shortest password the users CLI sets, in characters (logins accept any non-empty one). */
export const MIN_PASSWORD_LENGTH = 8

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
