// Bookkeeping of this instance's open and pending WebSocket connections: counts per IP (pending
// handshakes included, so concurrent handshakes cannot overshoot the cap), the sockets of each
// session, so a session's end closes them at once, and the sessions that handshakes in the gate
// are being checked for, so an end heard while the store is asked refuses the handshake instead
// of letting its socket open after the end. The per-user cap is user-slots.ts's.
import type { WebSocket } from 'ws'
import type { HeroConnection } from './connection.js'
import { SetMap } from '../stores/set-map.js'

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

/**
 * A handshake's watch on the session its cookie names, from before the store is asked until it is accepted or
 * refused.
 */
export interface SessionWatch {
  /** True once an end of that session was heard during the watch. */
  readonly ended: boolean
  /** Ends the watch (safe to call twice). */
  done (): void
}

/** Counts and indexes connections; all methods are synchronous and O(1), O(sockets of one session) or O(sessions). */
export class ConnectionRegistry {
  readonly #perIp = new Map<string, number>()
  readonly #bySession = new SetMap<string, OpenConnection>()
  readonly #all = new Set<OpenConnection>()
  readonly #watched = new SetMap<string, { ended: boolean }>()

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

  /** Watches the session `sessionKey` for a handshake in the gate (see SessionWatch). */
  watchSession (sessionKey: string): SessionWatch {
    const watch = { ended: false }
    this.#watched.add(sessionKey, watch)
    return {
      get ended () { return watch.ended },
      done: () => this.#watched.delete(sessionKey, watch)
    }
  }

  /** The session `sessionKey` ended: the handshakes watching it will be refused. */
  sessionEnded (sessionKey: string): void {
    for (const watch of this.#watched.get(sessionKey)) watch.ended = true
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
