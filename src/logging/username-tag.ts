// What a log line may say about a username no account has: a keyed hash of it, never the name.
// Such a "name" is often a password typed into the wrong field, so the raw value must not reach
// the logs; the tag still lets an operator see that the same unknown name was tried again.
//
// The key is 32 random bytes drawn when the process starts and never stored or logged. Keyed,
// because a plain hash of a guessable password is reversed by hashing guesses; per process rather
// than a configured secret, because nothing then exists outside memory that could reverse a tag,
// and there is no setting to get wrong. The price: tags correlate attempts within one run of one
// instance only (a restart, or another instance, gives the same name another tag).
import { createHmac, randomBytes } from 'node:crypto'
import { canonicalUsername } from '../accounts/account-rules.js'

const TAG_KEY = randomBytes(32)

/** Hex digits of the HMAC kept (64 bits): enough to tell names apart, too few to matter for guessing. */
const TAG_HEX_DIGITS = 16

/**
 * The tag a log line carries for a username that names no account: 16 hex digits of
 * HMAC-SHA-256(per-process key, the name's canonical form), so `Bob` and `bob` get one tag.
 */
export function unknownUsernameTag (username: string): string {
  return createHmac('sha256', TAG_KEY).update(canonicalUsername(username)).digest('hex').slice(0, TAG_HEX_DIGITS)
}
