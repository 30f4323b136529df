// A Map from a key to a Set of values that drops a key whose set becomes empty: the bookkeeping
// of sockets by session and of socket slots by user, written once.

export class SetMap<K, V> {
  readonly #sets = new Map<K, Set<V>>()

  add (key: K, value: V): void {
    let set = this.#sets.get(key)
    if (set === undefined) {
      set = new Set()
      this.#sets.set(key, set)
    }
    set.add(value)
  }

  /** Removes one value; the key goes with its last value. */
  delete (key: K, value: V): void {
    const set = this.#sets.get(key)
    if (set === undefined) return
    set.delete(value)
    if (set.size === 0) this.#sets.delete(key)
  }

  /** Removes a key with all its values, and returns them (empty when there were none). */
  take (key: K): ReadonlySet<V> {
    const set = this.#sets.get(key) ?? new Set<V>()
    this.#sets.delete(key)
    return set
  }

  get (key: K): ReadonlySet<V> {
    return this.#sets.get(key) ?? new Set<V>()
  }

  /** How many values `key` holds. */
  count (key: K): number {
    return this.#sets.get(key)?.size ?? 0
  }

  keys (): IterableIterator<K> {
    return this.#sets.keys()
  }

  entries (): IterableIterator<[K, ReadonlySet<V>]> {
    return this.#sets.entries()
  }
}
