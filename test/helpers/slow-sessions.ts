// A session store whose lookups wait until the test releases them, to hold handshakes inside the
// gate (between the cookie check and the upgrade) and see what happens meanwhile. It wraps any
// SessionStore (by default an in-memory one on a test clock).
import { MemorySessionStore } from '../../src/stores/sessions/memory-session-store.js'
import type { Session, SessionEnd, SessionEndReason, SessionStore } from '../../src/stores/sessions/session-store.js'
import { TestClock } from './test-server.js'

/** A SessionStore whose get() waits for release(). */
export class SlowSessionStore implements SessionStore {
  /** Lookups waiting now. */
  waiting = 0
  readonly #inner: SessionStore
  #release: () => void = () => {}
  readonly #gate: Promise<void>

  constructor (inner: SessionStore = new MemorySessionStore(
    { idleTimeoutMs: 1_800_000, absoluteTimeoutMs: 28_800_000 },
    { now: new TestClock().read, sweepIntervalMs: 0 }
  )) {
    this.#inner = inner
    this.#gate = new Promise((resolve) => { this.#release = resolve })
  }

  async get (id: string): Promise<Session | undefined> {
    this.waiting++
    await this.#gate
    this.waiting--
    return await this.#inner.get(id)
  }

  /** Lets every waiting (and later) lookup finish. */
  release (): void {
    this.#release()
  }

  create (username: string, credential: string): Promise<{ id: string, session: Session }> {
    return this.#inner.create(
      username,
      credential
    )
  }

  destroyKey (key: string, reason: SessionEndReason): Promise<void> { return this.#inner.destroyKey(key, reason) }
  touch (id: string): Promise<void> { return this.#inner.touch(id) }
  destroy (id: string, reason: SessionEndReason): Promise<void> { return this.#inner.destroy(id, reason) }
  destroyUser (username: string, reason: SessionEndReason): Promise<number> {
    return this.#inner.destroyUser(
      username,
      reason
    )
  }

  listUser (username: string): Promise<readonly Session[]> { return this.#inner.listUser(username) }
  filterLive (keys: readonly string[]): Promise<ReadonlySet<string>> { return this.#inner.filterLive(keys) }
  onEnd (listener: (end: SessionEnd) => void): () => void { return this.#inner.onEnd(listener) }
  sweep (): Promise<void> { return this.#inner.sweep() }
  close (): Promise<void> { return this.#inner.close() }
}
