// The socket's life: connect, hand valid messages to the page, and after a close decide by its
// code whether to reconnect (full-jitter backoff), to give up, or to send the user back to the
// login page. No DOM here; the page renders the states this class reports.
import { backoffDelay, RECONNECT_BACKOFF, type BackoffOptions } from './backoff.js'
import { CLOSE, closeAction, parseServerMessage, type ServerMessage } from './messages.js'

/**
 * Why the client is waiting to reconnect: the server restarting (1001), a lost connection, a
 * server error (1011), no server at all, or a refused handshake while the session is alive.
 */
export type WaitReason = 'shutdown' | 'lost' | 'server_error' | 'unreachable' | 'refused'

/** What the page shows. */
export type ConnectionState =
  | { readonly kind: 'connecting', readonly retry: boolean }
  | { readonly kind: 'connected', readonly username: string }
  | { readonly kind: 'waiting', readonly reason: WaitReason, readonly retryAt: number, readonly code?: number }
  | { readonly kind: 'ended', readonly accountRemoved: boolean }
  | { readonly kind: 'failed', readonly code: number }

/** Result of asking the server whether our session is still alive. */
export type SessionProbe = 'alive' | 'gone' | 'unreachable'

/** What the page hears from the connection. */
export interface ConnectionListener {
  state (state: ConnectionState): void
  message (message: ServerMessage): void
}

/** The socket the connection needs: the browser WebSocket, or a fake in tests. */
export interface SocketLike {
  readonly readyState: number
  onopen: ((event: Event) => void) | null
  onmessage: ((event: MessageEvent) => void) | null
  onclose: ((event: CloseEvent) => void) | null
  send (data: string): void
  close (code?: number, reason?: string): void
}

export interface ConnectionOptions {
  /** wss://host/ws */
  url: string
  /** Default: the browser's WebSocket. */
  createSocket?: (url: string) => SocketLike
  /** Default: probeSession (a HEAD / that does not follow redirects). */
  probe?: () => Promise<SessionProbe>
  /** Default: RECONNECT_BACKOFF (500 ms doubling, 15 s cap). */
  backoff?: BackoffOptions
  /** Clock in epoch milliseconds (default Date.now). */
  now?: () => number
  /** Random source in [0, 1) for the jitter (default Math.random). */
  random?: () => number
}

const OPEN = 1

/**
 * Asks GET / (as HEAD, redirects not followed) whether the session cookie still works:
 * 200 means alive, a redirect to /login means gone, no answer means the server is unreachable.
 */
export async function probeSession (): Promise<SessionProbe> {
  try {
    const res = await fetch('/', { method: 'HEAD', redirect: 'manual', credentials: 'same-origin', cache: 'no-store' })
    if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) return 'gone'
    return res.ok ? 'alive' : 'unreachable'
  } catch {
    return 'unreachable'
  }
}

/** One logical connection to the hero server, reconnecting as long as that can help. */
export class ReconnectingSocket {
  readonly #options: Required<ConnectionOptions>
  readonly #listener: ConnectionListener
  #socket: SocketLike | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #state: ConnectionState = { kind: 'connecting', retry: false }
  /** Failed attempts since the last good connection; sets the backoff. */
  #retries = 0
  #stopped = false

  constructor (options: ConnectionOptions, listener: ConnectionListener) {
    this.#options = {
      createSocket: (url) => new WebSocket(url),
      probe: probeSession,
      backoff: RECONNECT_BACKOFF,
      now: Date.now,
      random: Math.random,
      ...options
    }
    this.#listener = listener
  }

  get state (): ConnectionState {
    return this.#state
  }

  /** Opens the first connection. */
  start (): void {
    this.#open()
  }

  /** Sends one text frame; false when there is no open socket. */
  send (text: string): boolean {
    const socket = this.#socket
    if (this.#state.kind !== 'connected' || socket === undefined || socket.readyState !== OPEN) return false
    socket.send(text)
    return true
  }

  /** Skips the rest of the backoff wait (the "Retry now" button, or the browser going online). */
  retryNow (): void {
    if (!this.#stopped && this.#state.kind === 'waiting') this.#open()
  }

  /** Closes for good: the page is going away (log out, navigation). */
  stop (): void {
    this.#stopped = true
    this.#clearTimer()
    const socket = this.#socket
    this.#socket = undefined
    if (socket !== undefined) socket.close(1000, 'leaving')
  }

  #open (): void {
    this.#clearTimer()
    let opened = false
    this.#setState({ kind: 'connecting', retry: this.#retries > 0 })
    const socket = this.#options.createSocket(this.#options.url)
    this.#socket = socket
    socket.onopen = () => { opened = true }
    socket.onmessage = (event) => {
      if (this.#socket !== socket || typeof event.data !== 'string') return
      const message = parseServerMessage(event.data)
      if (message === undefined) {
        console.warn('hero-socket: ignored a message that does not match the protocol')
        return
      }
      if (message.type === 'user_authorized') {
        this.#retries = 0
        this.#setState({ kind: 'connected', username: message.user.username })
      }
      this.#listener.message(message)
    }
    socket.onclose = (event) => {
      if (this.#socket !== socket) return
      this.#socket = undefined
      void this.#closed(event.code, opened)
    }
  }

  async #closed (code: number, opened: boolean): Promise<void> {
    if (this.#stopped) return
    switch (closeAction(code, opened)) {
      case 'session_ended':
      case 'account_removed':
        this.#setState({ kind: 'ended', accountRemoved: code === CLOSE.accountRemoved })
        return
      case 'stop':
        this.#setState({ kind: 'failed', code })
        return
      case 'reconnect':
        this.#wait(code === CLOSE.goingAway ? 'shutdown' : code === CLOSE.internalError ? 'server_error' : 'lost', code)
        return
      case 'probe': {
        const probe = await this.#options.probe()
        if (this.#stopped) return
        if (probe === 'gone') this.#setState({ kind: 'ended', accountRemoved: false })
        else this.#wait(probe === 'alive' ? 'refused' : 'unreachable')
      }
    }
  }

  /** @param code the close code that ended an open socket (none for a refused handshake) */
  #wait (reason: WaitReason, code?: number): void {
    const delay = backoffDelay(this.#retries++, this.#options.backoff, this.#options.random)
    const retryAt = this.#options.now() + delay
    this.#setState(code === undefined
      ? { kind: 'waiting', reason, retryAt }
      : { kind: 'waiting', reason, retryAt, code })
    this.#timer = setTimeout(() => this.#open(), delay)
  }

  #clearTimer (): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #setState (state: ConnectionState): void {
    this.#state = state
    this.#listener.state(state)
  }
}
