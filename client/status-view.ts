// What the page's status line says in each state, in words a person understands and with what to
// do next. Close codes never appear in the main text; a code that explains the state goes to the
// small print, for whoever the user asks for help. No DOM here: hero-client.ts renders this,
// test/client/status-view.test.ts checks every state, and test/e2e/heroes.test.ts the terminal
// ones in the browser.
import type { ConnectionState, WaitReason } from './reconnecting-socket.js'

/** The status line: its state (CSS data-state), its text, a countdown, small print, a button. */
export interface StatusView {
  readonly state: 'connecting' | 'reconnecting' | 'connected' | 'limited' | 'shutdown' | 'ended' | 'failed'
  /** The main text; a countdown, when there is one, follows it. */
  readonly text: string
  /** Epoch ms the countdown runs to (none when 0). */
  readonly countdownTo: number
  /** Small print for support ('' for none). */
  readonly detail: string
  /** The button the status offers. */
  readonly action: 'retry' | 'reload' | undefined
}

/**
 * Waiting to reconnect: what happened, said plainly, then "…in 2.3 s" (a text for every reason, or it does not
 * compile).
 */
const WAITING_TEXTS: Readonly<Record<WaitReason, string>> = Object.freeze({
  shutdown: 'The server is restarting. Reconnecting in',
  lost: 'The connection was lost. Reconnecting in',
  server_error: 'The server had a problem. Trying again in',
  unreachable: 'The server cannot be reached. Retrying in',
  refused: 'The server is busy, or this account has too many tabs open. Retrying in'
})

/** After the server stopped the socket for something this page sent (1003, 1008, 1009). */
export const STOPPED_TEXT = 'This page sent something the server could not accept, so the connection was stopped. ' +
  'Reload the page to start again.'

/**
 * The status line for `state`.
 * @param limitedUntil epoch ms until which the page must not ask (its send budget is empty)
 * @param now epoch ms
 */
export function statusView (state: ConnectionState, limitedUntil: number, now: number): StatusView {
  switch (state.kind) {
    case 'connecting':
      return state.retry
        ? view('reconnecting', 'Reconnecting…')
        : view('connecting', 'Connecting to the hero server…')
    case 'connected':
      return limitedUntil > now
        ? { ...view('limited', 'Slow down: you can ask again in'), countdownTo: limitedUntil }
        : view('connected', 'Connected. Pick a hero to learn who is behind the mask.')
    case 'waiting':
      return {
        state: state.reason === 'shutdown' ? 'shutdown' : 'reconnecting',
        text: WAITING_TEXTS[state.reason],
        countdownTo: state.retryAt,
        detail: state.code === undefined ? '' : closeDetail(state.code),
        action: 'retry'
      }
    case 'ended':
      return view('ended', state.accountRemoved
        ? 'Your session ended because an administrator removed your account. Taking you to the login page…'
        : 'Your session has ended. Taking you to the login page…')
    case 'failed':
      return { state: 'failed', text: STOPPED_TEXT, countdownTo: 0, detail: closeDetail(state.code), action: 'reload' }
  }
}

function view (state: StatusView['state'], text: string): StatusView {
  return { state, text, countdownTo: 0, detail: '', action: undefined }
}

function closeDetail (code: number): string {
  return `For support: the connection closed with code ${code}.`
}
