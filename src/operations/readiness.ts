// Liveness and readiness. Live: the process answers. Ready: not draining, the hashing process
// running, and the shared store answering when there is one (Redis, with REDIS_URL); a load
// balancer sends new clients only to ready instances. Readiness remembers when it was last asked:
// a drain waits for a load balancer only when one is watching (drain.ts).
import type { HashingProcess } from '../accounts/hashing-process.js'
import { monotonicNow } from '../monotonic-clock.js'
import type { StoreHealth } from '../stores/stores.js'

/** What /readyz answers, check by check. */
export interface ReadinessReport {
  readonly ready: boolean
  /** draining, hashing, and the shared store's check under its name (`redis`: up or down), when there is one. */
  readonly checks: {
    readonly draining: boolean
    readonly hashing: 'running' | 'stopped'
    readonly [store: string]: boolean | string
  }
}

/** What /livez (and /healthz) answers: the process answers. */
export const LIVE_ANSWER = Object.freeze({ status: 'ok' })

/** An HTTP answer of a health endpoint: its status and JSON body (the same on both listeners). */
export interface HealthAnswer {
  readonly status: number
  readonly body: unknown
}

export class Readiness {
  readonly #hashing: HashingProcess | undefined
  readonly #store: StoreHealth | undefined
  readonly #now: () => number
  #draining = false
  #askedAt: number | undefined

  /**
   * @param store the shared store's health probe; undefined when everything is in this process
   * @param now the clock in ms that dates each answer (default the monotonic clock)
   */
  constructor (hashing: HashingProcess | undefined, store: StoreHealth | undefined, now = monotonicNow) {
    this.#hashing = hashing
    this.#store = store
    this.#now = now
  }

  /** Whether readiness was asked (answer(), on either listener) within the last `ms` milliseconds. */
  askedWithin (ms: number): boolean {
    return this.#askedAt !== undefined && this.#now() - this.#askedAt <= ms
  }

  /** From now on this instance is not ready (a drain has begun); there is no way back. */
  startDraining (): void {
    this.#draining = true
  }

  get draining (): boolean {
    return this.#draining
  }

  /** What /readyz answers: 200 when ready, else 503, with every check. Dated: see askedWithin. */
  answer (): HealthAnswer {
    this.#askedAt = this.#now()
    const report = this.report()
    return {
      status: report.ready ? 200 : 503,
      body: { status: report.ready ? 'ready' : 'not ready', checks: report.checks }
    }
  }

  report (): ReadinessReport {
    const hashing = this.#hashing === undefined || this.#hashing.running ? 'running' : 'stopped'
    const store = this.#store
    const storeUp = store === undefined || store.reachable
    const ready = !this.#draining && hashing === 'running' && storeUp
    const storeCheck = store === undefined ? {} : { [store.name]: storeUp ? 'up' : 'down' }
    return { ready, checks: { draining: this.#draining, hashing, ...storeCheck } }
  }
}
