// What the written security pages (docs/authorization.md, data.md, secrets.md, logs.md,
// supply-chain.md) say about the code, checked against the code: every route the app registers is
// in the authorization model; no answer carries CORS headers and TRACE is not answered; the
// browser client keeps nothing in browser storage; no metric has a label naming a person; every
// secret file the server reads is in the inventory; every log event the inventory names exists.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ROOT } from '../helpers/http.js'
import { startTestServer } from '../helpers/test-server.js'

const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8')

/** Every .ts file under `dir` (relative to the package root), recursively. */
function sources (dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.includes('generated'))
    .map((name) => path.join(dir, name))
}

t.test('docs/authorization.md names every route the app registers, with its method', async (t) => {
  const server = await startTestServer(t, {}, { listen: false })
  const doc = read('docs/authorization.md')
  const tree = server.app.printRoutes({ commonPrefix: false })
  const routes = [...tree.matchAll(/([^\s─│├└]+) \(([A-Z, ]+)\)/g)]
    .map(([, name = '', methods = '']) => ({ url: name === '/' ? '/' : `/${name}`, methods: methods.split(', ') }))
  t.ok(routes.length >= 6, `${routes.length} routes`)
  for (const { url, methods } of routes) {
    if (url === '/*') {
      t.match(doc, '`/assets/…`', 'the static assets')
      continue
    }
    for (const method of methods.filter((m) => m !== 'HEAD')) {
      const named = doc.includes(`\`${method} ${url}\``) || (method === 'GET' && doc.includes(`\`${url}\``))
      t.ok(named, `${method} ${url}`)
    }
  }
})

t.test('no CORS: no answer grants another origin access, preflight or not (ASVS 3.4.2)', async (t) => {
  const server = await startTestServer(t, {}, { listen: false })
  const elsewhere = { origin: 'https://elsewhere.example' }
  const answers = [
    await server.request('/login', { headers: elsewhere }),
    await server.request('/', { headers: elsewhere }),
    await server.request('/login', {
      method: 'OPTIONS',
      headers: { ...elsewhere, 'access-control-request-method': 'POST' }
    })
  ]
  for (const res of answers) {
    t.equal(res.headers.get('access-control-allow-origin'), null, `${res.status}: no Access-Control-Allow-Origin`)
    t.equal(res.headers.get('access-control-allow-credentials'), null, `${res.status}: no credentials grant`)
  }
  t.notOk(answers[2]?.ok, 'a preflight is not answered with success')
})

t.test('TRACE is not answered: a 404, and nothing of the request echoed (ASVS 13.4.4)', async (t) => {
  const server = await startTestServer(t, {}, { listen: false })
  for (const url of ['/', '/login']) {
    const res = await server.request(url, { method: 'TRACE', headers: { 'x-probe': 'echo-me-7f3a' } })
    t.equal(res.status, 404, `TRACE ${url}`)
    t.notMatch(await res.text(), 'echo-me-7f3a', 'the request is not echoed')
  }
})

t.test('the browser client keeps nothing in browser storage (ASVS 14.3.3, docs/data.md)', async (t) => {
  const files = sources('client')
  t.ok(files.length >= 5)
  for (const file of files) {
    t.notMatch(read(file), /localStorage|sessionStorage|indexedDB|document\.cookie|caches\./, file)
  }
})

t.test('no metric has a label that names a person, an address or a session (docs/data.md)', async (t) => {
  const labels = [...read('src/operations/metrics.ts').matchAll(/labelNames: \[([^\]]*)\]/g)]
    .flatMap(([, list = '']) => [...list.matchAll(/'([^']+)'/g)].map(([, name = '']) => name))
  t.ok(labels.length >= 10, `${labels.length} labels`)
  for (const label of labels) t.notMatch(label, /user|name$|ip|addr|session|client_id|cookie/i, label)
})

t.test('every secret file the server reads is in docs/secrets.md (ASVS 11.1.2)', async (t) => {
  const secrets = read('docs/secrets.md')
  const named = [...read('src/config/secret-files.ts').matchAll(/\['([A-Z_]+)', config\./g)]
    .map(([, name = '']) => name)
  t.same(named, ['TLS_KEY', 'METRICS_TOKEN_FILE', 'REDIS_PASSWORD_FILE'])
  for (const variable of [...named, 'TLS_CERT', 'USERS_FILE']) t.match(secrets, `\`${variable}\``, variable)
})

t.test('every log event docs/logs.md names is one the code logs (ASVS 16.1.1)', async (t) => {
  const code = sources('src').map(read).join('\n')
  const logged = new Set([...code.matchAll(/event: '([a-z_]+)'/g)].map(([, name = '']) => name))
  const serviceRow = read('docs/logs.md').split('\n').find((line) => line.startsWith('| The service')) ?? ''
  const named = [...serviceRow.matchAll(/`([a-z]+(?:_[a-z]+)+|logout)`/g)].map(([, name = '']) => name)
  t.ok(named.length >= 15, `${named.length} events named`)
  for (const event of named) t.ok(logged.has(event), event)
})

t.test('packages come from the npm registry only: no .npmrc names another (docs/supply-chain.md)', async (t) => {
  t.notOk(fs.existsSync(path.join(ROOT, '.npmrc')))
})
