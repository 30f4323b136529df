// The server's message builders: every message they can produce satisfies its schema (the
// test's own ajv and the server's), and the budget the configuration accepts is the schema's.
import t from 'tap'
import { loadConfig } from '../../src/config/config.js'
import { MESSAGE_ERRORS, type MessageErrorCode } from '../../src/errors.js'
import { HERO_LIST, HEROES } from '../../src/protocol/heroes.js'
import { errorMessage, nameMessage, userAuthorizedMessage } from '../../src/protocol/messages.js'
import { Protocol } from '../../src/protocol/protocol.js'
import { schemaProblem } from '../helpers/hero-client.js'

const protocol = Protocol.load()

t.test('every message the builders produce satisfies its schema (our ajv and the server\'s)', async (t) => {
  // The budgets at the edges of what the configuration accepts (MESSAGE_RATE, MESSAGE_BURST).
  const budgets = [
    { messageRate: 10, messageBurst: 20 },
    { messageRate: 0.001, messageBurst: 1 },
    { messageRate: 1_000_000, messageBurst: 1_000_000 },
    { messageRate: 2.5, messageBurst: 3 }
  ]
  const messages: string[] = budgets.flatMap(
    (budget) => [userAuthorizedMessage('alice', budget), userAuthorizedMessage('a'.repeat(64), budget)]
  )
  for (const hero of HEROES.values()) {
    messages.push(
      nameMessage(hero, undefined),
      nameMessage(hero, 0),
      nameMessage(hero, 2147483647)
    )
  }
  for (const code of Object.keys(MESSAGE_ERRORS) as MessageErrorCode[]) {
    messages.push(errorMessage(code, undefined), errorMessage(code, 12))
  }
  for (const retryAfterMs of [1, 500, 3334, 3_600_000, 10_000_000, 2 ** 40]) {
    messages.push(
      errorMessage('rate_limited', undefined, retryAfterMs)
    )
  }
  for (const text of messages) {
    const message = JSON.parse(text) as { type: string }
    t.equal(schemaProblem(message), undefined, text.slice(0, 80))
    t.ok(protocol.isValidServerMessage(message))
  }
  t.equal(HERO_LIST.length, HEROES.size)
})

t.test('user_authorized carries the budget it was built with, serialised once per budget object', async (t) => {
  const budget = { messageRate: 2.5, messageBurst: 3 }
  t.same(
    JSON.parse(userAuthorizedMessage('alice', budget)),
    { type: 'user_authorized', user: { username: 'alice' }, heroes: HERO_LIST, limits: budget }
  )
  t.same(
    JSON.parse(userAuthorizedMessage('bob', { messageRate: 10, messageBurst: 20 })).limits,
    { messageRate: 10, messageBurst: 20 }
  )
  t.equal(
    userAuthorizedMessage('a"b', budget),
    JSON.stringify({ type: 'user_authorized', user: { username: 'a"b' }, heroes: HERO_LIST, limits: budget }),
    'the same bytes as JSON.stringify of the whole'
  )
})

t.test('what the configuration accepts for MESSAGE_RATE and MESSAGE_BURST is what user_authorized may ' +
  'carry', async (t) => {
  // A budget the configuration allows but the schema refused would leave the page ignoring
  // user_authorized, never connected; one the schema allows but the configuration refuses is dead.
  const valid = (limits: { messageRate: number, messageBurst: number }): boolean =>
    schemaProblem(JSON.parse(userAuthorizedMessage('alice', limits)) as { type: string }) === undefined
  const accepted = (env: Record<string, string>): boolean => {
    try { loadConfig(env); return true } catch { return false }
  }
  for (const [rate, burst] of [
    ['1000000', '1000000'],
    ['0.001', '1'],
    ['1000001', '20'],
    ['10', '1000001'],
    ['10', '0'],
    ['0', '20']
  ] as const) {
    t.equal(
      accepted({ MESSAGE_RATE: rate, MESSAGE_BURST: burst }),
      valid({ messageRate: Number(rate), messageBurst: Number(burst) }),
      `rate ${rate}, burst ${burst}: both accept or both refuse`
    )
  }
})
