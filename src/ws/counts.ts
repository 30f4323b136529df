// Counters of the upgrade gate's outcomes: each refusal reason, and accepted handshakes.
import type { GateRejection } from '../errors.js'

export type GateOutcome = GateRejection | 'accepted'

/** Counts per outcome since start-up. */
export class GateStats {
  readonly #counts = new Map<GateOutcome, number>()

  count (outcome: GateOutcome): void {
    this.#counts.set(outcome, (this.#counts.get(outcome) ?? 0) + 1)
  }

  get (outcome: GateOutcome): number {
    return this.#counts.get(outcome) ?? 0
  }

  /** All counts, for logs and tests. */
  snapshot (): Record<string, number> {
    return Object.fromEntries(this.#counts)
  }
}
