// The Prometheus metrics (prom-client), one registry per app. Names follow Prometheus
// conventions (hero_socket_ prefix, base units, _total counters), and no label ever carries a
// username, session or address: every label value comes from a registry (errors.ts, the schemas,
// the close codes), so the number of series is fixed. prom-client's default process metrics
// (CPU, memory, event-loop lag, GC) come along under their usual names.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** What the gauges read at each scrape. */
export interface MetricsSources {
  readonly openSockets: () => number
  readonly hashingQueueLength: () => number
  /** Whether the shared store answers (hero_socket_redis_up); undefined without one (the gauge is then absent). */
  readonly storeUp: (() => boolean) | undefined
  readonly ready: () => boolean
  readonly draining: () => boolean
}

/** Seconds, for login durations: argon2 takes tens of milliseconds, a queue can add seconds. */
const LOGIN_BUCKETS = [0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10]
/** Seconds, for Redis commands on a LAN or loopback. */
const REDIS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

export class AppMetrics {
  readonly registry = new Registry()
  readonly handshakes = new Counter({
    name: 'hero_socket_handshakes_total',
    help: 'WebSocket handshakes by outcome: accepted, or the gate\'s refusal reason.',
    labelNames: ['outcome'] as const,
    registers: [this.registry]
  })

  readonly messages = new Counter({
    name: 'hero_socket_messages_total',
    help: 'Client messages by type (invalid when unreadable) and outcome: answered, or the error code replied.',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry]
  })

  readonly closes = new Counter({
    name: 'hero_socket_closes_total',
    help: 'Close codes the server sent.',
    labelNames: ['code'] as const,
    registers: [this.registry]
  })

  readonly drops = new Counter({
    name: 'hero_socket_dropped_sockets_total',
    help: 'Sockets dropped without a close frame, by reason (slow_reader, heartbeat_missed).',
    labelNames: ['reason'] as const,
    registers: [this.registry]
  })

  readonly websocketErrors = new Counter({
    name: 'hero_socket_websocket_errors_total',
    help: 'Protocol errors ws found in frames, by ws error code.',
    labelNames: ['code'] as const,
    registers: [this.registry]
  })

  readonly logins = new Counter({
    name: 'hero_socket_logins_total',
    help: 'Login attempts by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry]
  })

  readonly loginDuration = new Histogram({
    name: 'hero_socket_login_duration_seconds',
    help: 'Time from a login request to its answer, every outcome included.',
    buckets: LOGIN_BUCKETS,
    registers: [this.registry]
  })

  readonly sessionsEnded = new Counter({
    name: 'hero_socket_sessions_ended_total',
    help: 'Sessions this instance ended, by cause.',
    labelNames: ['cause'] as const,
    registers: [this.registry]
  })

  readonly revocations = new Counter({
    name: 'hero_socket_revocations_total',
    help: 'Sockets closed because their session ended, by how this instance learnt of it: local, publish (another ' +
      'instance), safety_net (the periodic re-check).',
    labelNames: ['path'] as const,
    registers: [this.registry]
  })

  // The shared store's calls, under Redis's name (its one backend; dashboards and alerts use these names).
  readonly storeErrors = new Counter({
    name: 'hero_socket_redis_command_errors_total',
    help: 'Redis calls that failed or timed out, by operation.',
    labelNames: ['operation'] as const,
    registers: [this.registry]
  })

  readonly storeDuration = new Histogram({
    name: 'hero_socket_redis_command_duration_seconds',
    help: 'Time each Redis call took, by operation.',
    labelNames: ['operation'] as const,
    buckets: REDIS_BUCKETS,
    registers: [this.registry]
  })

  readonly storeReconnects = new Counter({
    name: 'hero_socket_redis_reconnects_total',
    help: 'Reconnects to Redis, by client: commands, or pubsub (the session-ends subscription).',
    labelNames: ['client'] as const,
    registers: [this.registry]
  })

  /** Children of `messages` by type and outcome, made once: labels() hashes its arguments on every call. */
  readonly #messageChildren = new Map<string, { inc: () => void }>()

  constructor () {
    collectDefaultMetrics({ register: this.registry })
  }

  /** Counts one client message; on the hot path, so its child counter is cached. */
  message (type: string, outcome: string): void {
    const key = `${type}\u0000${outcome}`
    let child = this.#messageChildren.get(key)
    if (child === undefined) {
      child = this.messages.labels(type, outcome)
      this.#messageChildren.set(key, child)
    }
    child.inc()
  }

  /** Adds the gauges that are read at each scrape. */
  observe (sources: MetricsSources): void {
    const gauge = (name: string, help: string, read: () => number): void => {
      const metric = new Gauge({ name, help, registers: [this.registry], collect () { metric.set(read()) } })
    }
    gauge('hero_socket_open_sockets', 'WebSocket connections open on this instance.', sources.openSockets)
    gauge(
      'hero_socket_hashing_queue_length',
      'Password checks waiting for the hashing process (running ones not included).',
      sources.hashingQueueLength
    )
    gauge('hero_socket_ready', '1 when /readyz answers 200.', () => (sources.ready() ? 1 : 0))
    gauge('hero_socket_draining', '1 from SIGTERM until the process exits.', () => (sources.draining() ? 1 : 0))
    const storeUp = sources.storeUp
    if (storeUp !== undefined) {
      gauge(
        'hero_socket_redis_up',
        '1 while Redis answers this instance (a PING every second).',
        () => (storeUp() ? 1 : 0)
      )
    }
  }
}
