// What the metrics read from the rest of the app: the gauges (open sockets, the hashing queue,
// Redis, readiness, the drain) and the sessions this instance ends. The counters of handshakes,
// messages, closes, logins and Redis calls are counted where they happen.
import type { Services } from '../services.js'
import type { WebSocketService } from '../ws/service.js'

/** Hooks the metrics up; returns the unsubscribe. */
export function instrument (services: Services, websocket: WebSocketService): () => void {
  const { metrics, readiness, redis } = services
  metrics.observe({
    openSockets: () => websocket.connections.size,
    hashingQueueLength: () => services.hasher.hashingProcess?.queueLength ?? 0,
    redisUp: redis === undefined ? undefined : () => redis.reachable,
    ready: () => readiness.report().ready,
    draining: () => readiness.draining
  })
  // Ends another instance made are counted there: every end is counted once in the cluster.
  return services.sessions.onEnd(({ reason, source }) => {
    if (source === 'local') metrics.sessionsEnded.inc({ cause: reason })
  })
}
