// The per-user socket slots counted in this process (one instance, no REDIS_URL): a set of
// tokens per user, nothing to renew, nothing that can fail.
import { SetMap } from '../set-map.js'
import type { UserSlots } from './user-slots.js'

/** Slots counted in this process. */
export class MemoryUserSlots implements UserSlots {
  readonly #held = new SetMap<string, string>()
  #next = 0

  async acquire (username: string, max: number): Promise<string | undefined> {
    if (this.#held.count(username) >= max) return undefined
    const token = String(this.#next++)
    this.#held.add(username, token)
    return token
  }

  release (username: string, token: string): void {
    this.#held.delete(username, token)
  }

  async count (username: string): Promise<number> {
    return this.#held.count(username)
  }

  async close (): Promise<void> {}
}
