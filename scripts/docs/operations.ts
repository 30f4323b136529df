// The generated table of docs/operations.md: every metric the service registers, with its type,
// labels and help text, read from the metric registry itself (src/operations/metrics.ts), so a
// metric the service exposes is documented by construction.
import { AppMetrics } from '../../src/operations/metrics.js'
import { code, markdownTable, type DocBlock } from './doc-block.js'

/** One of the service's own metrics (prom-client's default process metrics left out). */
export interface ServiceMetric {
  readonly name: string
  readonly type: string
  readonly labels: readonly string[]
  readonly help: string
}

/** The service's own metrics (`hero_socket_*`), as an app with Redis registers them, in registration order. */
export function serviceMetrics (): ServiceMetric[] {
  const metrics = new AppMetrics()
  metrics.observe({
    openSockets: () => 0, hashingQueueLength: () => 0, ready: () => true, draining: () => false, storeUp: () => true
  })
  return metrics.registry.getMetricsAsArray()
    .filter((metric) => metric.name.startsWith('hero_socket_'))
    .map((metric) => ({
      name: metric.name,
      type: String(metric.type),
      labels: (metric as unknown as { labelNames?: string[] }).labelNames ?? [],
      help: metric.help
    }))
}

function metricsTable (): string {
  const rows = serviceMetrics().map((metric) => [
    code(metric.name), metric.type, metric.labels.map(code).join(', '), metric.help
  ])
  rows.push([
    '`process_*`, `nodejs_*`', '', '',
    'prom-client\'s default process metrics: CPU, memory, GC, event-loop lag (`nodejs_eventloop_lag_seconds`)'
  ])
  return markdownTable(['metric', 'type', 'labels', 'what'], rows)
}

/** The generated blocks of docs/operations.md. */
export const operationsBlocks: readonly DocBlock[] = [
  { page: 'docs/operations.md', name: 'metrics', render: metricsTable }
]
