// The numbers of the account rules, in a leaf that imports nothing: the rules
// (accounts/account-rules.ts) and the error registry's texts (errors.ts, which every floor may
// import) both quote them, so each number is written once and the registry reaches into no folder.

/** Longest username accepted, in characters. */
export const MAX_USERNAME_LENGTH = 64
/**
 * Longest password accepted, in bytes of UTF-8: 1,024 ASCII characters, 512 like 'é', 341 CJK,
 * 256 emoji. The same rule for the users CLI and the login (refused before argon2 runs), chosen
 * by what the login form can carry: the worst-case form (LOGIN_FORM_WORST_CASE_BYTES in
 * account-rules.ts) fits LOGIN_FORM_BODY_LIMIT, so every password the CLI sets can be typed into
 * the form.
 */
export const MAX_PASSWORD_BYTES = 1024
/**
 * Shortest password a person may choose, in characters: Unicode code points of the password's NFC
 * form (grapheme clusters would count a family emoji of five code points as one, and NIST SP
 * 800-63B counts code points). 15, not ASVS 6.2.1's floor of 8: the password is the only factor
 * (no multi-factor yet), and 15 is what ASVS strongly recommends and NIST SP 800-63B-4 asks of a
 * password used alone. Logins accept any non-empty password: this rules new ones only.
 */
export const MIN_PASSWORD_LENGTH = 15
/**
 * How long an issued (one-time) password logs in, in milliseconds: 72 hours from when the users
 * CLI (or the first start, for `demo`) set it. Long enough for a password handed over on a Friday
 * to reach its person after a weekend, short enough that one lost in a mailbox or a chat is dead
 * within days (ASVS 6.4.1: issued passwords expire after a short period). Once used to log in, it
 * only opens the change-password form.
 */
export const ONE_TIME_PASSWORD_LIFETIME_MS = 72 * 60 * 60 * 1000
