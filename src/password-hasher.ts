// Password hashing with argon2id. Verification of unknown users runs against a dummy hash
// made with the same parameters, so "no such user" and "wrong password" take similar time.
import { randomBytes } from 'node:crypto'
import argon2 from 'argon2'
import type { Config } from './config.js'

/** Longest accepted inputs; longer ones are refused before argon2 runs. */
export const MAX_USERNAME_LENGTH = 64
export const MAX_PASSWORD_LENGTH = 1024
/** Usernames: letters, digits, dot, dash, underscore; 1 to 64 characters. */
export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/

export type Argon2Params = Config['argon2']

/** Hashes and verifies passwords with fixed argon2id parameters. */
export class PasswordHasher {
  readonly #params: Argon2Params
  #dummyHash: Promise<string> | undefined

  constructor (params: Argon2Params) {
    this.#params = params
  }

  /** An argon2id PHC string for `password`. */
  hash (password: string): Promise<string> {
    return argon2.hash(password, {
      type: argon2.argon2id,
      memoryCost: this.#params.memoryKiB,
      timeCost: this.#params.timeCost,
      parallelism: this.#params.parallelism
    })
  }

  /**
   * True when `password` matches `hash`. With `hash` undefined (unknown user) it verifies
   * against a dummy hash and returns false, taking about as long as a real check.
   */
  async verify (hash: string | undefined, password: string): Promise<boolean> {
    this.#dummyHash ??= this.hash(randomBytes(32).toString('base64url'))
    const target = hash ?? await this.#dummyHash
    let ok: boolean
    try {
      ok = await argon2.verify(target, password)
    } catch {
      ok = false
    }
    return ok && hash !== undefined
  }

  /** Precomputes the dummy hash, so the first unknown-user login is not faster or slower. */
  async warmUp (): Promise<void> {
    this.#dummyHash ??= this.hash(randomBytes(32).toString('base64url'))
    await this.#dummyHash
  }
}
