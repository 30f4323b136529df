// The re-check under revocation: each round asks the store which open sockets' sessions are
// live, and closes those that are not ('not_live') or whose account changed (the account's
// reason); live sessions with their accounts intact are kept. A store reconnect starts a round at
// once; one round runs at a time, and a request during a round runs exactly one more after it.
import t, { type Test } from 'tap'
import { createLogger } from '../../src/logging/logger.js'
import { MemorySessionStore } from '../../src/stores/sessions/memory-session-store.js'
import type { SessionEndReason } from '../../src/stores/sessions/session-store.js'
import { startSessionRecheck, type SessionRecheckOptions } from '../../src/ws/session-recheck.js'
import { LogCapture, TestClock } from '../helpers/test-server.js'

/** A real memory store, the sockets' session keys, and what the re-check closed. */
function setUp (t: Test, overrides: Partial<SessionRecheckOptions> = {}) {
  const clock = new TestClock()
  const sessions = new MemorySessionStore({ idleTimeoutMs: 60_000, absoluteTimeoutMs: 600_000 }, {
    now: clock.read,
    sweepIntervalMs: 0
  })
  const open = new Set<string>()
  const closed: Array<[string, string]> = []
  const stale = new Map<string, SessionEndReason>()
  const logs = new LogCapture()
  const reconnectListeners: Array<() => void> = []
  const recheck = startSessionRecheck({
    sessions,
    intervalMs: 3_600_000,
    openSessionKeys: () => open,
    closeSession: (key, reason) => { closed.push([key, reason]); open.delete(key) },
    staleAccount: async (key) => stale.get(key),
    log: createLogger('info', logs),
    storeEvents: {
      onReconnect (listener) {
        reconnectListeners.push(listener); return () => {
          reconnectListeners.splice(
            reconnectListeners.indexOf(listener),
            1
          )
        }
      }
    },
    ...overrides
  })
  t.teardown(async () => { recheck.stop(); await sessions.close() })
  return {
    sessions,
    open,
    closed,
    stale,
    recheck,
    reconnect: () => { for (const listener of [...reconnectListeners]) listener() },
    reconnectListeners,
    logs
  }
}

t.test('a round closes the sockets of sessions that are gone or whose account changed, ' +
  'and keeps the rest', async (t) => {
  const { sessions, open, closed, stale, recheck, logs } = setUp(t)
  const live = (await sessions.create('alice', 'tag')).session.key
  const changed = (await sessions.create('bob', 'tag')).session.key
  const ended = await sessions.create('carol', 'tag')
  await sessions.destroy(ended.id, 'logout')
  for (const key of [live, changed, ended.session.key, 'f'.repeat(64)]) open.add(key)
  stale.set(changed, 'password_changed')
  await recheck.run()
  t.same(
    closed.sort(),
    [[ended.session.key, 'not_live'], [changed, 'password_changed'], ['f'.repeat(64), 'not_live']].sort()
  )
  t.same([...open], [live], 'the live session with its account intact keeps its socket')
  await recheck.run()
  t.equal(closed.length, 3, 'a second round closes nothing more')
  t.notMatch(logs.text, /session_recheck_failed/, 'nothing failed')
})

t.test('a store reconnect starts a round at once; stop() stops listening', async (t) => {
  const { sessions, open, closed, recheck, reconnect, reconnectListeners } = setUp(t)
  const gone = await sessions.create('alice', 'tag')
  open.add(gone.session.key)
  await sessions.destroy(gone.id, 'logout')
  reconnect()
  await recheck.run() // joins the round the reconnect started, or runs one more: either way it is done
  t.same(closed, [[gone.session.key, 'not_live']])
  recheck.stop()
  t.equal(reconnectListeners.length, 0, 'no reconnect listener is left')
})

t.test('one round at a time: requests during a round run one more round after it, not one each', async (t) => {
  let rounds = 0
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  const { sessions, open, recheck } = setUp(t, {
    staleAccount: async () => {
      rounds++
      if (rounds === 1) await held
      return undefined
    }
  })
  open.add((await sessions.create('alice', 'tag')).session.key)
  const first = recheck.run()
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(rounds, 1, 'the first round is under way')
  const during = [recheck.run(), recheck.run(), recheck.run()]
  t.equal(during[0], first, 'a request during a round gets that round\'s promise')
  release()
  await Promise.all([first, ...during])
  t.equal(rounds, 2, 'three requests during the round: one more round')
})
