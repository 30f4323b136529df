// The status line's words for every state (client/status-view.ts): plain language with what to do
// next, never a close code or an error code in the main text, the code in the small print where
// one explains the state.
import t from 'tap'
import type { ConnectionState, WaitReason } from '../../client/reconnecting-socket.js'
import { STOPPED_TEXT, statusView } from '../../client/status-view.js'

const NOW = 1_000_000

/** What a person must never read in the main text: a number that looks like a code, or a registry code. */
const CODE_LIKE = /\b\d{3,4}\b|_|code/i

t.test('every state says what happened and what comes next, without codes', async (t) => {
  const reasons: WaitReason[] = ['shutdown', 'lost', 'server_error', 'unreachable', 'refused']
  const states: ConnectionState[] = [
    { kind: 'connecting', retry: false },
    { kind: 'connecting', retry: true },
    { kind: 'connected', username: 'alice' },
    ...reasons.map((reason): ConnectionState => ({ kind: 'waiting', reason, retryAt: NOW + 2000 })),
    { kind: 'waiting', reason: 'server_error', retryAt: NOW + 2000, code: 1011 },
    { kind: 'ended', accountRemoved: false },
    { kind: 'ended', accountRemoved: true },
    ...[1003, 1008, 1009].map((code): ConnectionState => ({ kind: 'failed', code }))
  ]
  const texts = new Set<string>()
  for (const state of states) {
    const view = statusView(state, 0, NOW)
    t.notMatch(view.text, CODE_LIKE, `${JSON.stringify(state)}: "${view.text}"`)
    t.ok(view.text.length > 10)
    texts.add(view.text)
  }
  const limited = statusView({ kind: 'connected', username: 'alice' }, NOW + 100, NOW)
  t.notMatch(limited.text, CODE_LIKE, `slowing down: "${limited.text}"`)
  texts.add(limited.text)
  t.equal(
    texts.size,
    states.length - 2,
    'each state its own words (the coded and uncoded server error share theirs, as do the three stops)'
  )
})

t.test('the texts the issue asks for', async (t) => {
  t.match(statusView({ kind: 'waiting', reason: 'server_error', retryAt: NOW + 1500, code: 1011 }, 0, NOW), {
    state: 'reconnecting',
    text: 'The server had a problem. Trying again in',
    countdownTo: NOW + 1500,
    action: 'retry',
    detail: 'For support: the connection closed with code 1011.'
  }, '1011: a server problem, trying again, with a countdown')
  for (const code of [1003, 1008, 1009]) {
    t.same(statusView({ kind: 'failed', code }, 0, NOW), {
      state: 'failed',
      text: STOPPED_TEXT,
      countdownTo: 0,
      action: 'reload',
      detail: `For support: the connection closed with code ${code}.`
    }, `${code}: stopped, reload to start again, the code in small print`)
  }
  t.match(STOPPED_TEXT, /^This page sent something the server could not accept.*Reload the page/)
  t.match(
    statusView({ kind: 'waiting', reason: 'lost', retryAt: NOW + 900, code: 1006 }, 0, NOW),
    { text: 'The connection was lost. Reconnecting in', detail: 'For support: the connection closed with code 1006.' }
  )
  t.match(
    statusView({ kind: 'waiting', reason: 'refused', retryAt: NOW + 900 }, 0, NOW),
    { detail: '', action: 'retry' },
    'a refused handshake has no close code to show'
  )
  t.match(statusView({ kind: 'ended', accountRemoved: false }, 0, NOW), { state: 'ended', action: undefined })
  t.match(
    statusView({ kind: 'ended', accountRemoved: true }, 0, NOW),
    {
      state: 'ended',
      text: 'Your session ended because an administrator removed your account. Taking you to the login page…'
    },
    'a removed account is said so, not "log in again"'
  )
})

t.test('connected, with an empty budget: slow down, counted down to the next possible request', async (t) => {
  t.match(
    statusView({ kind: 'connected', username: 'alice' }, NOW + 100, NOW),
    { state: 'limited', text: 'Slow down: you can ask again in', countdownTo: NOW + 100, action: undefined }
  )
  t.match(
    statusView({ kind: 'connected', username: 'alice' }, NOW, NOW),
    { state: 'connected', countdownTo: 0 },
    'a budget that pays now is not limited'
  )
})
