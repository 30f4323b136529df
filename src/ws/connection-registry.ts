// Bookkeeping of this instance's open and pending WebSocket connections: counts per IP (pending
// handshakes included, so concurrent handshakes cannot overshoot the cap), and the sockets of
// each session, so a session's end closes them at once. The per-user cap is user-slots.ts's.
import type { WebSocket } from 'ws'
import type { HeroConnection } from './connection.js'
import { SetMap } from './set-map.js'

/** One accepted connection. */
export interface OpenConnection {
  readonly ws: WebSocket
  /** The client's key (client-address.ts): what the per-IP cap counts. */
  readonly ip: string
  readonly username: string
  /** The session's non-secret key (SHA-256 of its id). */
  readonly sessionKey: string
  /** The session's credential tag (its account must still have it). */
  readonly credential: string
  /** What serves the socket (closes it with a registry code; the heartbeat pings it). */
  readonly hero: HeroConnection
}

/** Counts and indexes connections; all methods are synchronous and O(1), O(sockets of one session) or O(sessions). */
export class ConnectionRegistry {
  readonly #perIp = new Map<string, number>()
  readonly #bySession = new SetMap<string, OpenConnection>()
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

  /** Records an accepted connection (its IP slot was reserved already). */
  add (connection: OpenConnection): void {
    this.#all.add(connection)
    this.#bySession.add(connection.sessionKey, connection)
  }

  /** Forgets a closed connection and releases its IP slot; safe to call twice. */
  remove (connection: OpenConnection): void {
    if (!this.#all.delete(connection)) return
    this.releaseIp(connection.ip)
    this.#bySession.delete(connection.sessionKey, connection)
  }

  /** The open connections of one session. */
  forSession (sessionKey: string): readonly OpenConnection[] {
    return [...this.#bySession.get(sessionKey)]
  }

  /** The session keys of every open connection. */
  sessionKeys (): ReadonlySet<string> {
    return new Set(this.#bySession.keys())
  }

  /** Every open connection. */
  all (): IterableIterator<OpenConnection> {
    return this.#all.values()
  }

  get size (): number {
    return this.#all.size
  }
}
