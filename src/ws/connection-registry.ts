// Bookkeeping of open and pending WebSocket connections: counts per IP (pending handshakes
// included, so concurrent handshakes cannot overshoot the cap) and per user, and the sockets
// of each session, so a session's end closes them at once.
import type { WebSocket } from 'ws'

/** One accepted connection. */
export interface OpenConnection {
  readonly ws: WebSocket
  readonly ip: string
  readonly username: string
  /** The session's non-secret key (SHA-256 of its id). */
  readonly sessionKey: string
}

/** Counts and indexes connections; all methods are synchronous and O(1) or O(sockets of one session). */
export class ConnectionRegistry {
  readonly #perIp = new Map<string, number>()
  readonly #perUser = new Map<string, number>()
  readonly #bySession = new Map<string, Set<OpenConnection>>()
  readonly #all = new Set<OpenConnection>()

  /** Takes one of `ip`'s slots for a handshake in progress; false when all `max` are taken. */
  reserveIp (ip: string, max: number): boolean {
    const count = this.#perIp.get(ip) ?? 0
    if (count >= max) return false
    this.#perIp.set(ip, count + 1)
    return true
  }

  /** Gives back a slot taken by reserveIp (a refused or closed connection). */
  releaseIp (ip: string): void {
    const count = (this.#perIp.get(ip) ?? 1) - 1
    if (count <= 0) this.#perIp.delete(ip)
    else this.#perIp.set(ip, count)
  }

  /** Open connections of `username`. */
  userCount (username: string): number {
    return this.#perUser.get(username) ?? 0
  }

  /** Records an accepted connection (its IP slot was reserved already). */
  add (connection: OpenConnection): void {
    this.#all.add(connection)
    this.#perUser.set(connection.username, this.userCount(connection.username) + 1)
    let set = this.#bySession.get(connection.sessionKey)
    if (set === undefined) {
      set = new Set()
      this.#bySession.set(connection.sessionKey, set)
    }
    set.add(connection)
  }

  /** Forgets a closed connection and releases its IP slot; safe to call twice. */
  remove (connection: OpenConnection): void {
    if (!this.#all.delete(connection)) return
    this.releaseIp(connection.ip)
    const users = this.userCount(connection.username) - 1
    if (users <= 0) this.#perUser.delete(connection.username)
    else this.#perUser.set(connection.username, users)
    const set = this.#bySession.get(connection.sessionKey)
    set?.delete(connection)
    if (set?.size === 0) this.#bySession.delete(connection.sessionKey)
  }

  /** The open connections of one session. */
  forSession (sessionKey: string): readonly OpenConnection[] {
    return [...(this.#bySession.get(sessionKey) ?? [])]
  }

  /** Every open connection. */
  all (): IterableIterator<OpenConnection> {
    return this.#all.values()
  }

  get size (): number {
    return this.#all.size
  }
}
