// Reading the operators' listener in tests: a scrape parsed into samples, and one sample's value;
// the service's own metric names, which docs/operations.md's generated table documents.
import { serviceMetrics } from '../../scripts/docs/operations.js'
import type { TestServer } from './test-server.js'

/**
 * The service's own metric names (process_* and nodejs_* left out), as the metric registry holds
 * them and docs/operations.md documents them (its table is generated from the same registry).
 */
export function documentedMetrics (): string[] {
  return serviceMetrics().map((metric) => metric.name)
}

/** One line of the exposition: name, labels, value. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** Parses Prometheus text exposition (the subset prom-client writes). */
export function parseMetrics (text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null) throw new Error(`not an exposition line: ${line}`)
    const labels: Record<string, string> = {}
    const pairs = (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)
    for (const [, key, value] of pairs) labels[key ?? ''] = value ?? ''
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) })
  }
  return samples
}

/** The metrics URL of a test server started with METRICS_PORT. */
export function metricsUrl (server: TestServer): string {
  const url = server.app.operators?.url
  if (url === undefined) throw new Error('the test server has no operators listener (METRICS_PORT)')
  return url
}

/** Scrapes `${baseUrl}/metrics` (with `token` when given). */
export async function scrapeUrl (baseUrl: string, token?: string): Promise<Sample[]> {
  const res = await fetch(
    `${baseUrl}/metrics`,
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }
  )
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}`)
  return parseMetrics(await res.text())
}

/** Scrapes the test server's /metrics (with `token` when given). */
export async function scrape (server: TestServer, token?: string): Promise<Sample[]> {
  return await scrapeUrl(metricsUrl(server), token)
}

/** The value of the sample `name` with exactly these labels (0 when absent). */
export function valueOf (samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
  const found = samples.find((s) => s.name === name && Object.keys(s.labels).length === wanted.length && wanted.every(([
    k,
    v
  ]) => s.labels[k] === v))
  return found?.value ?? 0
}

/** A sample's name, labels and expected value. */
export type ExpectedSample = readonly [name: string, labels: Readonly<Record<string, string>>, value: number]

/**
 * What the metrics must count after the scripted session of issue 12 (one login, three heroes,
 * one refused origin, one logout), added over every instance of a deployment.
 */
export const SCRIPTED_SESSION_COUNTS: readonly ExpectedSample[] = [
  ['hero_socket_logins_total', { outcome: 'succeeded' }, 1],
  ['hero_socket_login_duration_seconds_count', {}, 1],
  ['hero_socket_handshakes_total', { outcome: 'accepted' }, 1],
  ['hero_socket_handshakes_total', { outcome: 'origin_forbidden' }, 1],
  ['hero_socket_messages_total', { type: 'get_name', outcome: 'answered' }, 3],
  ['hero_socket_sessions_ended_total', { cause: 'logout' }, 1],
  ['hero_socket_open_sockets', {}, 0],
  ['hero_socket_hashing_queue_length', {}, 0],
  ['hero_socket_draining', {}, 0]
]
