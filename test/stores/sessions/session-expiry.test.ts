// The expiry rules every store applies: absolute before idle, each at exactly its timeout.
import t from 'tap'
import { expiryOf } from '../../../src/stores/sessions/session-expiry.js'

const timeouts = { idleTimeoutMs: 1000, absoluteTimeoutMs: 3000 }

t.test('live until the idle timeout after the last touch', async (t) => {
  t.equal(expiryOf({ createdAt: 0, lastSeenAt: 0 }, 999, timeouts), undefined)
  t.equal(expiryOf({ createdAt: 0, lastSeenAt: 0 }, 1000, timeouts), 'idle_timeout')
  t.equal(expiryOf({ createdAt: 0, lastSeenAt: 500 }, 1499, timeouts), undefined)
})

t.test('the absolute timeout wins, touched or not', async (t) => {
  t.equal(expiryOf({ createdAt: 0, lastSeenAt: 2999 }, 3000, timeouts), 'absolute_timeout')
  t.equal(expiryOf({ createdAt: 0, lastSeenAt: 0 }, 5000, timeouts), 'absolute_timeout')
})
