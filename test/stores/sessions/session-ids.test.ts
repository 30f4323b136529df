// Session ids and keys, shared by every store: the id's shape, the key's hash, and what logs carry.
import { createHash } from 'node:crypto'
import t from 'tap'
import {
  isSessionIdShape, loggedSessionKey, newSessionId, sessionKeyOf
} from '../../../src/stores/sessions/session-ids.js'

t.test('ids: 43 base64url characters from 32 random bytes, never repeating', async (t) => {
  const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()))
  t.equal(ids.size, 1000)
  for (const id of [...ids].slice(0, 20)) {
    t.ok(isSessionIdShape(id))
    t.equal(Buffer.from(id, 'base64url').length, 32)
  }
})

t.test('shape: anything else is not an id', async (t) => {
  for (const id of [
    '',
    'A'.repeat(42),
    'A'.repeat(44),
    'A'.repeat(42) + '=',
    'A'.repeat(42) + '+',
    'A'.repeat(42) + '/',
    `${'A'.repeat(42)}\n`
  ]) {
    t.notOk(isSessionIdShape(id), JSON.stringify(id))
  }
})

t.test('the key is the SHA-256 in hex; logs carry its first 12 digits', async (t) => {
  const id = newSessionId()
  const key = sessionKeyOf(id)
  t.equal(key, createHash('sha256').update(id).digest('hex'))
  t.equal(loggedSessionKey(key), key.slice(0, 12))
  t.notMatch(loggedSessionKey(key), id)
})
