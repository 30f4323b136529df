// The server's message builders: every message they can produce satisfies its schema (the
// test's own ajv and the server's).
import t from 'tap'
import { MESSAGE_ERRORS, type MessageErrorCode } from '../../src/errors.js'
import { HERO_LIST, HEROES } from '../../src/protocol/heroes.js'
import { errorMessage, nameMessage, userAuthorizedMessage } from '../../src/protocol/messages.js'
import { Protocol } from '../../src/protocol/protocol.js'
import { schemaProblem } from '../helpers/hero-client.js'

const protocol = Protocol.load()

t.test('every message the builders produce satisfies its schema (our ajv and the server\'s)', async (t) => {
  const messages: string[] = [userAuthorizedMessage('alice'), userAuthorizedMessage('a'.repeat(64))]
  for (const hero of HEROES.values()) messages.push(nameMessage(hero, undefined), nameMessage(hero, 0), nameMessage(hero, 2147483647))
  for (const code of Object.keys(MESSAGE_ERRORS) as MessageErrorCode[]) {
    messages.push(errorMessage(code, undefined), errorMessage(code, 12))
  }
  for (const retryAfterMs of [1, 500, 3334, 3_600_000, 10_000_000, 2 ** 40]) messages.push(errorMessage('rate_limited', undefined, retryAfterMs))
  for (const text of messages) {
    const message = JSON.parse(text) as { type: string }
    t.equal(schemaProblem(message), undefined, text.slice(0, 80))
    t.ok(protocol.isValidServerMessage(message))
  }
  t.equal(HERO_LIST.length, HEROES.size)
})
