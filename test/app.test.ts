import t from 'tap'
import { startTestServer } from './helpers/test-server.js'

t.test('the app serves and logs in over TLS', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  t.match(sid, /^[A-Za-z0-9_-]{43}$/)
  const res = await fetch(server.url + '/', { redirect: 'manual', headers: { cookie: `__Host-sid=${sid}` } })
  t.equal(res.status, 200)
})
