// What the page says when a login or a session goes wrong, in Debian's Chromium, in light and
// dark, on a desktop and a phone: a wrong password keeps the username and says to check the
// spelling; past the per-username limit the page says when to try again (and logging in again and
// again never gets there); a removed account's open page says an administrator removed it.
import t from 'tap'
import type { Page } from 'playwright-core'
import { clearProblems, connectedPage, launchBrowser, newWatchedContext, saveScreenshot } from '../helpers/browser.js'
import { HTTP_ERRORS, LOGIN_NOTICES } from '../../src/errors.js'
import { startTestServer, TEST_USER } from '../helpers/test-server.js'

const VIEWS = [
  { name: 'light, desktop', options: { colorScheme: 'light' } },
  { name: 'dark, desktop', options: { colorScheme: 'dark' } },
  { name: 'light, phone', options: { colorScheme: 'light', viewport: { width: 360, height: 740 }, isMobile: true } },
  { name: 'dark, phone', options: { colorScheme: 'dark', viewport: { width: 360, height: 740 }, isMobile: true } }
] as const

/** Submits the login form; resolves with the status of its answer. */
async function submitLogin (page: Page, username: string, password: string): Promise<number> {
  await page.fill('#username', username)
  await page.fill('#password', password)
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'),
    page.click('button[type="submit"]')
  ])
  await page.waitForLoadState()
  return response.status()
}

t.test('login help', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_IP_MAX: '100', LOGIN_RATE_USER_MAX: '2' })
  const browser = await launchBrowser(t)

  for (const [i, view] of VIEWS.entries()) {
    t.test(`${view.name}: a wrong password keeps the username and says to check the spelling`, async (t) => {
      const { context, problems } = await newWatchedContext(browser, view.options)
      t.teardown(() => context.close())
      const page = await context.newPage()
      await page.goto(`${server.url}/login`)
      // A name of its own per view, so the per-username limit (2 failures) is not reached here.
      const name = `someone${i}`
      t.equal(await submitLogin(page, name, 'not the password'), 401)
      t.equal(await page.locator('#login-notice').textContent(), HTTP_ERRORS.login_failed.message)
      t.match(HTTP_ERRORS.login_failed.message, 'Check the spelling')
      t.equal(await page.inputValue('#username'), name, 'the username stays in its field')
      t.equal(await page.inputValue('#password'), '', 'the password does not')
      await page.waitForFunction(() => document.activeElement?.id === 'password')
      t.pass('the cursor is in the password field')
      if (view.name === 'dark, phone') await saveScreenshot(page, 'login-failed-dark-phone')
      t.same(problems.consoleErrors.filter((e) => !/status of 401/.test(e)), [])
      t.same(problems.pageErrors, [])
      t.same(problems.cspViolations, [])
    })
  }

  t.test('logging in again and again is never refused; after two wrong passwords the page says when to try ' +
    'again', async (t) => {
    const { context, problems } = await newWatchedContext(browser)
    t.teardown(() => context.close())
    const page = await context.newPage()
    for (let i = 0; i < 4; i++) {
      await page.goto(`${server.url}/login`)
      t.equal(await submitLogin(page, TEST_USER.username, TEST_USER.password), 303, `login ${i + 1}`)
      await page.waitForURL(`${server.url}/`)
      await Promise.all([page.waitForURL(/notice=logged_out/), page.click('#logout-form button')])
    }
    t.equal(await submitLogin(page, TEST_USER.username, 'wrong one'), 401)
    t.equal(await submitLogin(page, TEST_USER.username, 'wrong two'), 401)
    t.equal(await submitLogin(page, TEST_USER.username, TEST_USER.password), 429, 'the third try waits')
    const text = await page.locator('#login-notice').textContent() ?? ''
    t.ok(text.startsWith(HTTP_ERRORS.login_attempts_limited.message), text)
    // A minute or more is also said as a time on this device's clock (client/login-page.ts).
    t.match(text, /Try again in (\d+ seconds\.|1 minute\. That is at \d\d?:\d\d.*\.)$/, 'says when to try again')
    t.equal(await page.locator('#login-notice').getAttribute('role'), 'alert')
    t.equal(await page.inputValue('#username'), TEST_USER.username, 'the username stays')
    t.same(problems.pageErrors, [])
    t.same(problems.cspViolations, [])
    clearProblems(problems)
  })

  t.test('a wait of minutes is also said as a time on the person\'s clock', async (t) => {
    const slow = await startTestServer(t, { LOGIN_RATE_USER_MAX: '1', LOGIN_RATE_WINDOW_S: '600' })
    const { context, problems } = await newWatchedContext(browser, { colorScheme: 'dark' })
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${slow.url}/login`)
    t.equal(await submitLogin(page, TEST_USER.username, 'wrong one'), 401)
    t.equal(await submitLogin(page, TEST_USER.username, TEST_USER.password), 429)
    const notice = page.locator('#login-notice')
    await page.waitForFunction(() => document.getElementById('login-notice')?.textContent?.includes('That is at'))
    const text = await notice.textContent() ?? ''
    // The test server's clock stands still: the window's whole 600 s are left.
    const expected = await page.evaluate(() => [0, 60_000].map((slack) => new Date(Date.now() + 600_000 - slack)
      .toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })))
    t.ok(
      expected.some((at) => text.endsWith(`Try again in 10 minutes. That is at ${at}.`)),
      `"${text}" ends with the wait and one of ${expected.join(', ')}`
    )
    t.same(problems.pageErrors, [])
    t.same(problems.cspViolations, [], 'the page\'s script is its own file: the CSP holds')
    clearProblems(problems)
  })

  t.test('an account removed while its page is open: the page says an administrator removed it', async (t) => {
    const other = await startTestServer(t)
    const { page, problems } = await connectedPage(t, browser, other.url, { colorScheme: 'dark' })
    t.ok(await other.users.remove(TEST_USER.username))
    await page.locator('#status[data-state="ended"]').waitFor()
    t.equal(
      await page.locator('#status-text').textContent(),
      'Your session ended because an administrator removed your account. Taking you to the login page…'
    )
    await page.waitForURL(`${other.url}/login?notice=account_removed`)
    const notice = await page.locator('#login-notice').textContent()
    t.equal(notice, LOGIN_NOTICES.get('account_removed'))
    t.notMatch(notice, 'log in again', 'not told to log in again')
    t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] })
  })
})
