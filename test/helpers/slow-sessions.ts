// A session store whose lookups wait until the test releases them, to hold handshakes inside the
// gate (between the cookie check and the upgrade) and see what happens meanwhile.
import { MemorySessionStore, type Session } from '../../src/session-store.js'
import { TestClock } from './test-server.js'

/** MemorySessionStore whose get() waits for release(). */
export class SlowSessionStore extends MemorySessionStore {
  /** Lookups waiting now. */
  waiting = 0
  #release: () => void = () => {}
  #gate: Promise<void>

  constructor (clock: TestClock = new TestClock()) {
    super({ idleTimeoutMs: 1_800_000, absoluteTimeoutMs: 28_800_000 }, { now: clock.read, sweepIntervalMs: 0 })
    this.#gate = new Promise((resolve) => { this.#release = resolve })
  }

  override async get (id: string): Promise<Session | undefined> {
    this.waiting++
    await this.#gate
    this.waiting--
    return await super.get(id)
  }

  /** Lets every waiting (and later) lookup finish. */
  release (): void {
    this.#release()
  }
}
