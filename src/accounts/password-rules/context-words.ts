// The context words a password may not contain (ASVS 6.1.2, 6.2.11): the words anyone guessing a
// password here would try first. The service's name, every hero's id, name and real name (the
// service shows them to whoever logs in), and the account's own username.
import { HEROES } from '../../protocol/heroes.js'

/** The service's name, as the README and the page title spell it. */
export const SERVICE_NAME = 'hero-socket'

/**
 * Context words shorter than this, once folded, are not looked for inside a password: a
 * two-letter username would otherwise refuse every password holding those two letters.
 */
export const MIN_CONTEXT_WORD_LENGTH = 4

/**
 * The form in which passwords and context words are compared: NFC, lower case, and only letters
 * and digits kept, so `Iron Man`, `iron-man` and `IRONMAN` are one word. No leetspeak folding:
 * `1r0nm4n` is not `ironman` here (the common-password list catches the usual ones).
 */
export function contextForm (text: string): string {
  return text.normalize('NFC').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '')
}

/** The service's context words in their folded form, documented in docs/security.md. */
export const SERVICE_CONTEXT_WORDS: readonly string[] = Object.freeze([...new Set([
  SERVICE_NAME,
  ...[...HEROES.values()].flatMap((hero) => [hero.id, hero.name, hero.realName])
].map(contextForm))])

/** Which context word `password` contains, if any: the username first, then the service's words. */
export function contextWordIn (password: string, username: string): 'username' | 'service' | undefined {
  const folded = contextForm(password)
  const contains = (word: string): boolean => word.length >= MIN_CONTEXT_WORD_LENGTH && folded.includes(word)
  if (contains(contextForm(username))) return 'username'
  if (SERVICE_CONTEXT_WORDS.some(contains)) return 'service'
  return undefined
}
