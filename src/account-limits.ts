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
/** Shortest password the users CLI sets, in characters (code points; logins accept any non-empty one). */
export const MIN_PASSWORD_LENGTH = 8
