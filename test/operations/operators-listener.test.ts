// The operators' listener's rules: METRICS_TOKEN_FILE read once (unreadable or short: a
// configuration error naming it); /metrics only with the bearer token when one is set (401 with
// WWW-Authenticate, logged with the client and whether the token was missing or wrong);
// /livez, /healthz and /readyz without it; other paths 404, other methods 405; every answer with
// the fixed headers. Plain HTTP on loopback, port 0.
import path from 'node:path'
import t, { type Test } from 'tap'
import { ConfigError } from '../../src/config/config.js'
import { RAW_ANSWER_HEADERS } from '../../src/edge/fixed-headers.js'
import { TrustedProxies } from '../../src/edge/client-address.js'
import { createLogger } from '../../src/logging/logger.js'
import { AppMetrics } from '../../src/operations/metrics.js'
import { OperatorsListener, readMetricsToken } from '../../src/operations/operators-listener.js'
import { Readiness } from '../../src/operations/readiness.js'
import { LogCapture } from '../helpers/test-server.js'

const TOKEN = 'a-token-of-sixteen-or-more'

async function listen (t: Test, withToken: boolean): Promise<{ url: string, logs: LogCapture }> {
  const dir = t.testdir({ token: `${TOKEN}\n` })
  const config = { host: '127.0.0.1', port: 0, tokenFile: withToken ? path.join(dir, 'token') : undefined, tls: false }
  const logs = new LogCapture()
  const listener = new OperatorsListener(
    config,
    await readMetricsToken(config),
    new AppMetrics(),
    new Readiness(undefined, undefined),
    createLogger('info', logs),
    new TrustedProxies([])
  )
  await listener.start()
  t.teardown(() => listener.close())
  return { url: listener.url ?? '', logs }
}

t.test('METRICS_TOKEN_FILE: read and trimmed; unreadable or short stops start-up naming it', async (t) => {
  const dir = t.testdir({ good: `  ${TOKEN}\n`, short: 'fifteen-chars!!' })
  const config = (file: string | undefined) => ({ host: '127.0.0.1', port: 0, tokenFile: file, tls: false })
  t.equal(await readMetricsToken(undefined), undefined, 'no operators\' listener: no token')
  t.equal(await readMetricsToken(config(undefined)), undefined, 'no file: none asked')
  t.equal((await readMetricsToken(config(path.join(dir, 'good'))))?.length, 32, 'a SHA-256 of the trimmed token')
  await t.rejects(
    readMetricsToken(config(path.join(dir, 'missing'))),
    new ConfigError('METRICS_TOKEN_FILE', `names a file that cannot be read: ${path.join(dir, 'missing')} (ENOENT)`)
  )
  await t.rejects(
    readMetricsToken(config(path.join(dir, 'short'))),
    { name: 'ConfigError', message: /METRICS_TOKEN_FILE.*at least 16 characters/ }
  )
})

t.test('/metrics asks for the token; a missing or wrong one is 401 and logged', async (t) => {
  const { url, logs } = await listen(t, true)
  const missing = await fetch(`${url}/metrics`)
  t.equal(missing.status, 401)
  t.equal(missing.headers.get('www-authenticate'), 'Bearer')
  const wrong = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } })
  t.equal(wrong.status, 401)
  t.equal(await wrong.text(), '', 'nothing of the metrics')
  const right = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
  t.equal(right.status, 200)
  t.match(await right.text(), /hero_socket_handshakes_total/)
  const refusals = logs.entries().filter((entry) => entry.event === 'metrics_unauthorized')
  t.match(refusals, [{ ip: '127.0.0.1', token: 'missing', level: 40 }, { ip: '127.0.0.1', token: 'wrong', level: 40 }])
  t.notMatch(logs.text, TOKEN, 'the token is never logged')
  t.notMatch(logs.text, 'not-the-token-at-all', 'nor a wrong one')
})

t.test('without a token file /metrics answers anyone on the listener', async (t) => {
  const { url } = await listen(t, false)
  t.equal((await fetch(`${url}/metrics`)).status, 200)
})

t.test('health without the token; other paths 404, other methods 405; the fixed headers on every answer', async (t) => {
  const { url } = await listen(t, true)
  const answers = {
    livez: await fetch(`${url}/livez`),
    healthz: await fetch(`${url}/healthz`),
    readyz: await fetch(`${url}/readyz`),
    unknown: await fetch(`${url}/nope`),
    post: await fetch(`${url}/metrics`, { method: 'POST' }),
    unauthorized: await fetch(`${url}/metrics`)
  }
  t.same(
    Object.fromEntries(Object.entries(answers).map(([name, res]) => [name, res.status])),
    { livez: 200, healthz: 200, readyz: 200, unknown: 404, post: 405, unauthorized: 401 }
  )
  t.equal(answers.post.headers.get('allow'), 'GET, HEAD')
  for (const [name, res] of Object.entries(answers)) {
    for (const [header, value] of Object.entries(RAW_ANSWER_HEADERS)) {
      t.equal(
        res.headers.get(header),
        String(value),
      `${name}: ${header}`
      )
    }
  }
})
