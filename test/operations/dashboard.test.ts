// The Grafana dashboard and the Prometheus scrape configuration in deploy/: every query names
// metrics the service really exports, and Debian's prometheus, run with deploy/prometheus/
// prometheus.yml against a live instance (on Redis), scrapes it and evaluates every query of
// the dashboard without an error, most of them with data.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { startCluster } from '../helpers/cluster.js'
import { HeroClient } from '../helpers/hero-client.js'
import { ROOT } from '../helpers/http.js'
import { metricsUrl } from '../helpers/metrics.js'
import { assertRefused } from '../helpers/gate-refusals.js'
import { upgradeRequest } from '../helpers/raw-handshake.js'
import type { TestServer } from '../helpers/test-server.js'

const DASHBOARD = path.join(ROOT, 'deploy', 'grafana', 'hero-socket.json')
const SCRAPE_CONFIG = path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml')
const TOKEN = 'scrape-token-for-the-dashboard-test'

/** Every query of the dashboard, with Grafana's $__rate_interval as Prometheus can read it. */
function queries (): string[] {
  const dashboard = JSON.parse(
    fs.readFileSync(DASHBOARD, 'utf8')
  ) as { panels: Array<{ targets: Array<{ expr: string }> }> }
  return dashboard.panels.flatMap(
    (panel) => panel.targets.map((target) => target.expr.replaceAll('$__rate_interval', '1m'))
  )
}

/** The metric names a query reads. */
function metricNames (query: string): string[] {
  return [...query.matchAll(/\b((?:hero_socket|nodejs|process)_[a-z0-9_]+)\b/g)].map(
    (m) => (m[1] ?? '').replace(/_(bucket|sum|count)$/, '')
  )
}

/** A scripted session: a login, a socket, three heroes, a refused origin, a logout. */
async function traffic (t: Test, server: TestServer): Promise<void> {
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  for (const hero of ['ironMan', 'hulk', 'batMan']) await client.request({ type: 'get_name', hero })
  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid, origins: ['https://evil.example'] }),
    { status: 403, reason: 'origin_forbidden', secrets: [sid] }
  )
  await fetch(`${server.url}/logout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: server.origin, cookie: `__Host-sid=${sid}`, 'content-type': 'application/x-www-form-urlencoded' }
  })
  await client.closed()
}

t.test('every dashboard query names metrics the service exports', async (t) => {
  const file = path.join(t.testdir({}), 'token')
  fs.writeFileSync(file, TOKEN)
  const { instances: [server] } = await startCluster(t, 1, { METRICS_PORT: '0', METRICS_TOKEN_FILE: file })
  if (server === undefined) return
  await traffic(t, server)
  const exposition = await (await fetch(
    `${metricsUrl(server)}/metrics`,
    { headers: { authorization: `Bearer ${TOKEN}` } }
  )).text()
  const exported = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]))
  const all = queries()
  t.ok(all.length >= 15, `${all.length} queries`)
  for (const query of all) {
    for (const name of metricNames(query)) t.ok(exported.has(name), `${name} (in ${query.slice(0, 60)}…) is exported`)
  }
})

/** The port prometheus reports it listens on (`msg="Listening on" address=127.0.0.1:<port>`), within 30 s. */
async function listeningPort (prometheus: ChildProcess, log: () => string): Promise<number> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const port = /msg="Listening on" address=127\.0\.0\.1:(\d+)/.exec(log())?.[1]
    if (port !== undefined) return Number(port)
    if (prometheus.exitCode !== null) throw new Error(`prometheus exited: ${log().slice(-2000)}`)
    if (Date.now() > deadline) {
      throw new Error(
      `prometheus did not say where it listens within 30 s: ${log().slice(-2000)}`
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

t.test('Debian\'s prometheus with deploy/prometheus/prometheus.yml scrapes an instance and evaluates every ' +
  'query', async (t) => {
  const dir = t.testdir({})
  const tokenFile = path.join(dir, 'token')
  fs.writeFileSync(tokenFile, TOKEN)
  const { instances: [server] } = await startCluster(t, 1, { METRICS_PORT: '0', METRICS_TOKEN_FILE: tokenFile })
  if (server === undefined) return
  const target = new URL(metricsUrl(server)).host
  const config = fs.readFileSync(SCRAPE_CONFIG, 'utf8')
    .replace(/^(\s*)scrape_interval: \S+\s*# test: interval$/m, '$1scrape_interval: 1s')
    .replace(/^(\s*)evaluation_interval: \S+\s*# test: interval$/m, '$1evaluation_interval: 1s')
    .replace(/^(\s*)credentials_file: \S+\s*# test: token$/m, `$1credentials_file: ${tokenFile}`)
    .replace(/^(\s*)- targets: \[.*\]\s*# test: targets$/m, `$1- targets: ['${target}']`)
  t.notMatch(config, /# test:/, 'every test: line was set')
  const configFile = path.join(dir, 'prometheus.yml')
  fs.writeFileSync(configFile, config)
  const check = spawnSync('promtool', ['check', 'config', configFile], { encoding: 'utf8' })
  t.equal(check.status, 0, `promtool check config: ${check.stdout}${check.stderr}`)
  // Port 0: prometheus binds a port of the kernel's choosing and logs it ("Listening on").
  const prometheus = spawn('prometheus', [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    '--web.listen-address=127.0.0.1:0'
  ], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  prometheus.stderr.setEncoding('utf8').on('data', (s: string) => { log += s })
  t.teardown(async () => {
    if (prometheus.exitCode !== null || prometheus.signalCode !== null) return
    const exited = new Promise((resolve) => prometheus.once('exit', resolve))
    prometheus.kill('SIGTERM')
    await exited
  })
  const port = await listeningPort(prometheus, () => log)
  const api = `http://127.0.0.1:${port}/api/v1`
  const query = async (expr: string): Promise<{ status: string, data: { result: unknown[] } }> =>
    await (await fetch(`${api}/query?query=${encodeURIComponent(expr)}`)).json() as
      { status: string, data: { result: unknown[] } }
  const until = async (what: string, ok: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 30_000
    while (!await ok().catch(() => false)) {
      if (Date.now() > deadline) throw new Error(`prometheus: ${what} not within 30 s\n${log.slice(-2000)}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  await until('up == 1', async () => (await query('up{job="hero-socket"} == 1')).data.result.length === 1)
  await traffic(t, server)
  // Rates need two scrapes after the traffic.
  const since = Date.now()
  await until('two scrapes after the traffic', async () => Date.now() - since > 2500 &&
    (await query('hero_socket_logins_total{outcome="succeeded"}')).data.result.length === 1)
  let withData = 0
  const all = queries()
  for (const expr of all) {
    const answer = await query(expr)
    t.equal(answer.status, 'success', `evaluates: ${expr.slice(0, 80)}`)
    if (answer.data.result.length > 0) withData++
  }
  t.comment(`${withData} of ${all.length} queries have data after one scripted session`)
  t.ok(withData >= all.length - 3, 'all but the error-only ones have data')
  t.same((await query('sum(hero_socket_logins_total{outcome="succeeded"})')).data.result.map(
    (r) => (r as { value: [number, string] }).value[1]
  ), ['1'], 'one login, as scraped by Prometheus')
})
