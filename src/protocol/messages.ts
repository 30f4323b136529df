// The builders of the server's messages. Client text is never echoed: replies carry our own
// strings and validated integers only. test/protocol/messages.test.ts checks every message they
// can build against its schema.
import { MESSAGE_ERRORS, type MessageErrorCode } from '../errors.js'
import { HERO_LIST, type Hero } from './heroes.js'

// The constant parts of user_authorized and name are serialised once: JSON.stringify of a fresh
// object per message was the largest item of our own code in the round-trip and handshake
// profiles (npm run bench). The bytes are the same as JSON.stringify of the whole object.
const HERO_LIST_JSON = JSON.stringify(HERO_LIST)
const nameTails = new WeakMap<Hero, string>()

/** `"hero":…,"hero_name":…}` of a catalogue entry, serialised once per hero. */
function nameTail (hero: Hero): string {
  let tail = nameTails.get(hero)
  if (tail === undefined) {
    tail = `"hero":${JSON.stringify(hero.id)},"hero_name":${JSON.stringify(hero.realName)}}`
    nameTails.set(hero, tail)
  }
  return tail
}

/** The message budget of a connection, as user_authorized tells it to the client. */
export interface MessageBudget {
  /** Requests per second refilled into the bucket (MESSAGE_RATE). */
  readonly messageRate: number
  /** Requests the bucket holds (MESSAGE_BURST). */
  readonly messageBurst: number
}

/** `,"heroes":…,"limits":…}` per budget object (one per app), serialised once. */
const greetingTails = new WeakMap<MessageBudget, string>()

/** `user_authorized`, sent once when the socket opens: the user, the heroes, the budget. */
export function userAuthorizedMessage (username: string, budget: MessageBudget): string {
  let tail = greetingTails.get(budget)
  if (tail === undefined) {
    const limits = JSON.stringify({ messageRate: budget.messageRate, messageBurst: budget.messageBurst })
    tail = `,"heroes":${HERO_LIST_JSON},"limits":${limits}}`
    greetingTails.set(budget, tail)
  }
  return `{"type":"user_authorized","user":{"username":${JSON.stringify(username)}}${tail}`
}

/** `name`, the answer to get_name; `hero` is the catalogue's own id, not the client's string. */
export function nameMessage (hero: Hero, id: number | undefined): string {
  return id === undefined
    ? `{"type":"name",${nameTail(hero)}`
    : `{"type":"name","id":${JSON.stringify(id)},${nameTail(hero)}`
}

/** Largest retryAfterMs sent (ms), as in schemas/error.json; a very low MESSAGE_RATE waits longer. */
export const MAX_RETRY_AFTER_MS = 3_600_000

/** `error` with a registry code; `retryAfterMs` (capped at MAX_RETRY_AFTER_MS) comes with rate_limited. */
export function errorMessage (code: MessageErrorCode, id: number | undefined, retryAfterMs?: number): string {
  const message: Record<string, unknown> = { type: 'error' }
  if (id !== undefined) message.id = id
  message.code = code
  message.message = MESSAGE_ERRORS[code]
  if (retryAfterMs !== undefined) message.retryAfterMs = Math.min(retryAfterMs, MAX_RETRY_AFTER_MS)
  return JSON.stringify(message)
}
