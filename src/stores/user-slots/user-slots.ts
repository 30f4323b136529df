// The per-user socket cap's slots behind a small interface: in this process (one instance,
// memory-user-slots.ts), or leased in Redis (redis-user-slots.ts) so that
// WS_MAX_CONNECTIONS_PER_USER counts the user's sockets on every instance. Each implementation
// runs test/stores/user-slots/user-slots-contract.ts.
//
// Failure: acquire and count may reject with StoreUnavailableError (the gate then answers 503,
// never admits); release never throws (a shared slot it could not give back ages out).

export interface UserSlots {
  /** Takes one of `username`'s `max` slots; resolves its token, or undefined when all are taken. */
  acquire (username: string, max: number): Promise<string | undefined>
  /** Gives back a slot taken by acquire (its socket closed, or its handshake failed). */
  release (username: string, token: string): void
  /** The user's open sockets (on every instance, for a shared implementation). */
  count (username: string): Promise<number>
  /** Stops timers; held slots are not given back (a shared store ages them out). */
  close (): Promise<void>
}
