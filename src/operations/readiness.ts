// Liveness and readiness. Live: the process answers. Ready: not draining, the hashing process
// running, and Redis answering when REDIS_URL is set; a load balancer sends new clients only
// to ready instances.
import type { HashingProcess } from '../accounts/hashing-process.js'
import type { RedisConnection } from '../redis/redis-connection.js'

/** What /readyz answers, check by check. */
export interface ReadinessReport {
  readonly ready: boolean
  readonly checks: {
    readonly draining: boolean
    readonly hashing: 'running' | 'stopped'
    readonly redis?: 'up' | 'down'
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
  readonly #redis: RedisConnection | undefined
  #draining = false

  constructor (hashing: HashingProcess | undefined, redis: RedisConnection | undefined) {
    this.#hashing = hashing
    this.#redis = redis
  }

  /** From now on this instance is not ready (a drain has begun); there is no way back. */
  startDraining (): void {
    this.#draining = true
  }

  get draining (): boolean {
    return this.#draining
  }

  /** What /readyz answers: 200 when ready, else 503, with every check. */
  answer (): HealthAnswer {
    const report = this.report()
    return { status: report.ready ? 200 : 503, body: { status: report.ready ? 'ready' : 'not ready', checks: report.checks } }
  }

  report (): ReadinessReport {
    const hashing = this.#hashing === undefined || this.#hashing.running ? 'running' : 'stopped'
    const redis = this.#redis === undefined ? undefined : this.#redis.reachable ? 'up' : 'down'
    const ready = !this.#draining && hashing === 'running' && redis !== 'down'
    return { ready, checks: { draining: this.#draining, hashing, ...(redis === undefined ? {} : { redis }) } }
  }
}
