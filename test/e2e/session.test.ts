// Session end seen from a live hero page in Chromium: logging out in one tab, or the session
// expiring, closes the other tab's socket with 4401; that tab says so, never reconnects, and
// goes to the login page with the session-ended notice.
import t from 'tap'
import { launchBrowser, loginThroughForm, newWatchedContext, recordStatuses } from '../helpers/browser.js'
import { startTestServer, TEST_USER } from '../helpers/test-server.js'

t.test('session end reaches every open tab', async (t) => {
  const server = await startTestServer(t)
  const browser = await launchBrowser(t)

  t.test('log out in one tab: the other tab shows the end, then the login page', async (t) => {
    const { context, problems } = await newWatchedContext(browser)
    t.teardown(() => context.close())
    const first = await context.newPage()
    await loginThroughForm(first, server.url, TEST_USER.username, TEST_USER.password)
    const second = await context.newPage()
    await second.goto(`${server.url}/`)
    await first.locator('#status[data-state="connected"]').waitFor()
    await second.locator('#status[data-state="connected"]').waitFor()
    t.equal(await server.app.services.userSlots.count('alice'), 2, 'two live sockets, one session')
    const statuses = await recordStatuses(second)

    await Promise.all([first.waitForURL(`${server.url}/login?notice=logged_out`), first.click('#logout-form button')])
    await second.locator('#status[data-state="ended"]').waitFor()
    t.match(await second.locator('#status-text').textContent(), /session has ended/)
    t.same(await second.locator('#heroes button:enabled').count(), 0, 'nothing to click meanwhile')
    await second.waitForURL(`${server.url}/login?notice=session_ended`)
    t.equal(await second.locator('#login-notice').textContent(), 'Your session has ended. Please log in again.')
    t.ok(
      statuses.length > 0 && !statuses.some((s) => /^(connecting|reconnecting)/.test(s)),
      'it never tried to reconnect'
    )
    t.equal(await server.app.services.userSlots.count('alice'), 0)
    t.equal(await first.locator('#login-notice').textContent(), 'You have logged out.')
    t.same(
      problems,
      { consoleErrors: [], pageErrors: [], cspViolations: [] },
      'both tabs: no console error, page error or CSP violation'
    )
  })

  t.test('the session times out: the open page shows the end, then the login page', async (t) => {
    const { context, problems } = await newWatchedContext(browser)
    t.teardown(() => context.close())
    const page = await context.newPage()
    await loginThroughForm(page, server.url, TEST_USER.username, TEST_USER.password)
    await page.locator('#status[data-state="connected"]').waitFor()
    server.clock.advance(server.config.session.idleTimeoutMs + 1)
    await server.sweepSessions()
    await page.locator('#status[data-state="ended"]').waitFor()
    await page.waitForURL(`${server.url}/login?notice=session_ended`)
    t.equal(await page.locator('#login-notice').textContent(), 'Your session has ended. Please log in again.')
    t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] })
  })
})
