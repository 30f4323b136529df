// Counters of outcomes since start-up, by name: the gate's (accepted, and each refusal reason)
// and the connections' drops. Operators read them through the logs and the metrics.

/** Counts per outcome. */
export class Counts<K extends string> {
  readonly #counts = new Map<K, number>()
  readonly #listeners: Array<(outcome: K) => void> = []

  count (outcome: K): void {
    this.#counts.set(outcome, (this.#counts.get(outcome) ?? 0) + 1)
    for (const listener of this.#listeners) listener(outcome)
  }

  /** Calls `listener` with each outcome counted from now on (the metrics). */
  onCount (listener: (outcome: K) => void): void {
    this.#listeners.push(listener)
  }

  get (outcome: K): number {
    return this.#counts.get(outcome) ?? 0
  }

  /** All counts, for logs and tests. */
  snapshot (): Record<string, number> {
    return Object.fromEntries(this.#counts)
  }
}
