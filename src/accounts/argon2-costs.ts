// The argon2id cost parameters, as configured and as the argon2 library takes them. Shared by
// the password hasher and the hashing process, so neither imports the other for them.
import type { Config } from '../config/config.js'

export type Argon2Params = Config['argon2']

/** The argon2 library's cost options. */
export interface Argon2Costs {
  readonly memoryCost: number
  readonly timeCost: number
  readonly parallelism: number
}

/** The argon2 library's cost options for `params`. */
export function argon2idCosts (params: Argon2Params): Argon2Costs {
  return { memoryCost: params.memoryKiB, timeCost: params.timeCost, parallelism: params.parallelism }
}
