// A server restart seen from a live hero page in Chromium: the socket closes with 1001, the
// page says the server is restarting and counts down, keeps backing off while nothing listens,
// and reconnects on its own when the server is back on the same port. When the restart lost
// the session (an in-memory store), the refused handshake sends the page to the login page. A
// restart whose port was taken in the meantime tries again on the same port (bounded).
import { once } from 'node:events'
import net, { type AddressInfo } from 'node:net'
import t from 'tap'
import { connectedPage, launchBrowser, recordStatuses } from '../helpers/browser.js'
import { postLogin } from '../helpers/http.js'
import { freshSessionStore, restartTestServer, startTestServer } from '../helpers/test-server.js'

t.test('the hero page survives a server restart', async (t) => {
  let server = await startTestServer(t)
  const browser = await launchBrowser(t)
  const { page, problems } = await connectedPage(t, browser, server.url)
  t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] }, 'a clean start')
  const statuses = await recordStatuses(page)

  // Same port, same users, same session store: a restart behind a shared store.
  server = await restartTestServer(t, server, {
    async beforeListen () {
      // While nothing listens, the page keeps counting down between attempts.
      await page.waitForFunction(() => {
        const status = document.getElementById('status')
        return status?.dataset.state === 'reconnecting' &&
          document.getElementById('status-countdown')?.textContent !== ''
      })
    }
  })
  await page.locator('#status[data-state="connected"]').waitFor()
  t.ok(
    statuses.some((s) => /^shutdown: The server is restarting\. Reconnecting in \d+(\.\d)? s/.test(s)),
    'showed the restart with a countdown'
  )
  t.ok(
    statuses.some((s) => /^reconnecting: The server cannot be reached\. Retrying in/.test(s)),
    'kept backing off while the server was down'
  )
  t.notOk(statuses.some((s) => s.startsWith('ended')), 'the session was never given up')
  await page.click('#heroes button[data-hero="wonderWoman"]')
  t.equal(
    await page.locator('#answers li[data-hero="wonderWoman"][data-state="done"] .answer-name').textContent(),
    'Diana',
    'asks again on the new server'
  )
  t.equal(new URL(page.url()).pathname, '/', 'still on the hero page')
  t.same(problems.pageErrors, [])
  t.same(problems.cspViolations, [])
  // While the server was down Chromium logged the failed socket and probe: only those.
  t.same(
    problems.consoleErrors.filter((e) => !new RegExp(
      "WebSocket connection to 'wss://127\\.0\\.0\\.1:\\d+/ws' failed" +
      '|Failed to load resource: net::ERR_CONNECTION_REFUSED|status of 503'
    ).test(e)),
    [],
    'no other console error'
  )

  t.test('a restart that loses the session sends the page to the login page', async (t) => {
    server = await restartTestServer(t, server, { sessions: freshSessionStore(server) })
    await page.waitForURL(`${server.url}/login?notice=session_ended`)
    t.equal(await page.locator('#login-notice').textContent(), 'Your session has ended. Please log in again.')
    t.ok(
      server.logs.entries().some((e) => e.event === 'ws_rejected' && e.reason === 'session_invalid'),
      'the gate refused the old session; the page asked GET / and gave up'
    )
  })
})

t.test('a restart whose port someone took in between tries again and comes back on the same port', async (t) => {
  const server = await startTestServer(t)
  const squatter = net.createServer()
  let taken = 0
  const restarted = await restartTestServer(t, server, {
    async beforeListen () {
      squatter.listen(server.port, '127.0.0.1')
      await once(squatter, 'listening')
    },
    onPortTaken () {
      // Freed only once the restart has met it: the retry, not luck, brings the server back.
      if (++taken === 1) squatter.close()
    }
  })
  t.equal(taken, 1, 'the restart found its port taken once')
  t.equal((restarted.app.server.address() as AddressInfo).port, server.port, 'listening on the same port')
  t.equal((await postLogin(restarted)).status, 303, 'and serves on it')
})
