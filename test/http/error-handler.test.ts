// The error handler answers each refusal with its registry code, and the route's own config (not
// its URL) decides page or JSON: Fastify's own errors map to explicit codes, a route may answer
// bad input with a code of its own, and anything unexpected is a logged 500 that shows no detail.
// Only HTTP: the app answers through inject(), without a listener.
import t from 'tap'
import { HTTP_ERRORS } from '../../src/errors.js'
import type { Session, SessionStore } from '../../src/stores/sessions/session-store.js'
import { SlowSessionStore } from '../helpers/slow-sessions.js'
import { postForm, setCookies } from '../helpers/http.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

async function json (res: Response): Promise<unknown> {
  t.match(res.headers.get('content-type'), /^application\/json/)
  return await res.json()
}

t.test('paths that only look like pages are answered as JSON 404', async (t) => {
  const server = await startTestServer(t, {}, { listen: false })
  for (const route of ['/loginx', '/login/x', '/logout/', '/nope', '/assets/nope.js']) {
    const res = await server.request(route)
    t.equal(res.status, 404, route)
    t.same(
      await json(res),
      { code: 'not_found', message: HTTP_ERRORS.not_found.message },
      `${route}: JSON, not the login page`
    )
    t.equal(res.headers.get('cache-control'), 'no-store')
  }
})

t.test('Fastify\'s own errors on a page route: the login page with the code\'s text and status', async (t) => {
  const server = await startTestServer(t, {}, { listen: false })
  const big = await postForm(server, '/logout', { filler: 'x'.repeat(2000) })
  t.equal(big.status, 413, 'a logout body over its 1024-byte limit')
  t.match(big.headers.get('content-type'), /^text\/html/)
  t.match(await big.text(), HTTP_ERRORS.request_too_large.message)
  const xml = await postForm(server, '/logout', {}, { 'content-type': 'application/xml' })
  t.equal(xml.status, 415, 'a logout body of a type nobody parses')
  t.match(await xml.text(), HTTP_ERRORS.unsupported_media_type.message)
  t.same(setCookies(xml), [], 'nothing was done: the cookie is not cleared')
})

t.test('the login route answers all bad input with its own code, keeping the status', async (t) => {
  const server = await startTestServer(t, {}, { listen: false })
  const cases: Array<[string, Response]> = [
    ['a missing field (400)', await postForm(server, '/login', { username: 'alice' })],
    [
      'a body over 4096 bytes (413)',
      await postForm(server, '/login', { username: 'alice', password: 'x'.repeat(5000) })
    ],
    ['not a form (415)', await postForm(server, '/login', {}, { 'content-type': 'application/xml' })]
  ]
  t.same(cases.map(([, res]) => res.status), [400, 413, 415])
  for (const [name, res] of cases) {
    t.match(await res.text(), HTTP_ERRORS.login_form_invalid.message, `${name}: login_form_invalid's text`)
    t.same(setCookies(res), [], `${name}: no cookie`)
  }
  const refusals = server.logs.entries().filter((e) => e.event === 'request_refused').map((e) => [e.code, e.status])
  t.same(
    refusals,
    [['login_form_invalid', 400], ['login_form_invalid', 413], ['login_form_invalid', 415]],
    'logged with the code'
  )
})

/** A store whose lookups fail, as a broken backend's would. */
class FailingSessionStore extends SlowSessionStore {
  override async get (): Promise<Session | undefined> {
    throw new Error('the store is broken: secret detail')
  }
}

t.test('an unexpected failure is a 500 internal_error: logged with its error, shown without detail', async (t) => {
  const sessions: SessionStore = new FailingSessionStore()
  const server: TestServer = await startTestServer(t, {}, { sessions, listen: false })
  const res = await server.request('/', { headers: { cookie: `__Host-sid=${'A'.repeat(43)}` } })
  t.equal(res.status, 500)
  const text = await res.text()
  t.match(text, HTTP_ERRORS.internal_error.message, 'the login page says something went wrong')
  t.notMatch(text, 'secret detail', 'and nothing of the error')
  const logged = server.logs.entries().find((e) => e.level === 50)
  t.match(
    logged,
    { msg: 'request failed', err: { message: 'the store is broken: secret detail' } },
    'the error is logged'
  )
})
