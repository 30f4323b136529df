// Password hashing with argon2id. Verification of unknown users runs against a dummy hash
// made with the same parameters, so "no such user" and "wrong password" take similar time.
// The server hashes in a low-priority child process (hashing-process.ts); the users CLI and
// first start hash here, in this process's thread pool. Every password is hashed in its NFC form;
// a hash made before that, of a password whose NFC form differs, still matches it as typed.
import { randomBytes } from 'node:crypto'
import argon2 from 'argon2'
import { passwordForm } from './account-rules.js'
import { argon2idCosts, type Argon2Params } from './argon2-costs.js'
import type { HashingProcess } from './hashing-process.js'

export interface PasswordHasherOptions {
  /** Where argon2 runs; default: this process's libuv thread pool. The hasher closes it. */
  readonly hashingProcess?: HashingProcess
  /** False when the hashing process is shared with others (tests), who close it; default true. */
  readonly closesProcess?: boolean
}

/** Hashes and verifies passwords with fixed argon2id parameters. */
export class PasswordHasher {
  readonly #params: Argon2Params
  readonly #process: HashingProcess | undefined
  readonly #closesProcess: boolean
  #dummyHash: Promise<string> | undefined

  constructor (params: Argon2Params, options: PasswordHasherOptions = {}) {
    this.#params = params
    this.#process = options.hashingProcess
    this.#closesProcess = options.closesProcess ?? true
  }

  /** The child process argon2 runs in, when there is one. */
  get hashingProcess (): HashingProcess | undefined {
    return this.#process
  }

  /** An argon2id PHC string for `password`'s NFC form. */
  hash (password: string): Promise<string> {
    const nfc = passwordForm(password)
    if (this.#process !== undefined) return this.#process.hash(nfc, this.#params)
    return argon2.hash(nfc, { type: argon2.argon2id, ...argon2idCosts(this.#params) })
  }

  /**
   * True when `password`, exactly as given (not normalised: pass passwordForm's, or use match),
   * matches `hash`. With `hash` undefined (unknown user) it verifies against a dummy hash and
   * returns false, taking about as long as a real check. A malformed `hash` matches nothing.
   * @throws HashingBusyError when the hashing process's queue is full or the wait too long; Error when it failed
   */
  async verify (hash: string | undefined, password: string): Promise<boolean> {
    this.#dummyHash ??= this.hash(randomBytes(32).toString('base64url'))
    const target = hash ?? await this.#dummyHash
    if (this.#process !== undefined) return await this.#process.verify(target, password) && hash !== undefined
    let ok: boolean
    try {
      ok = await argon2.verify(target, password)
    } catch {
      ok = false
    }
    return ok && hash !== undefined
  }

  /**
   * Which form of `password` matches `hash` (the login's check): 'nfc' (every hash is made of it
   * now), 'as typed' (a hash made before passwords were normalised, of one whose NFC form differs:
   * the login hashes it again), or undefined (no match, or `hash` undefined: see verify). A
   * password whose NFC form differs costs a second check when the first fails, for a known user
   * and an unknown one alike.
   * @throws HashingBusyError when the hashing process's queue is full or the wait too long; Error when it failed
   */
  async match (hash: string | undefined, password: string): Promise<'nfc' | 'as typed' | undefined> {
    const nfc = passwordForm(password)
    if (await this.verify(hash, nfc)) return 'nfc'
    if (nfc !== password && await this.verify(hash, password)) return 'as typed'
    return undefined
  }

  /** True when `hash` was made with other costs (or another variant) than the configured ones. */
  needsRehash (hash: string): boolean {
    try {
      return !hash.startsWith('$argon2id$') || argon2.needsRehash(hash, argon2idCosts(this.#params))
    } catch {
      return true
    }
  }

  /** Precomputes the dummy hash, so the first unknown-user login is not faster or slower. */
  async warmUp (): Promise<void> {
    this.#process?.start()
    this.#dummyHash ??= this.hash(randomBytes(32).toString('base64url'))
    await this.#dummyHash
  }

  /** Ends the hashing process, if there is one and it is not shared; later calls fail. */
  async close (): Promise<void> {
    if (this.#closesProcess) await this.#process?.close()
  }
}
