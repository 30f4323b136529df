// The login page in Debian's Chromium: the form works with mouse and keyboard, failures and
// notices show, a password at the length limit in another script logs in, the page fits a phone, and no page breaks the
// CSP or logs an error.
import t from 'tap'
import {
  clearProblems,
  launchBrowser,
  loginThroughForm,
  newWatchedContext,
  saveScreenshot
} from '../helpers/browser.js'
import { HTTP_ERRORS } from '../../src/errors.js'
import { waitUntil } from '../helpers/hero-client.js'
import { builtFile, runNode } from '../helpers/http.js'
import { startTestServer, TEST_USER } from '../helpers/test-server.js'

t.test('login page', async (t) => {
  const server = await startTestServer(t)
  const base = server.url
  const browser = await launchBrowser(t)

  t.test('renders cleanly, with the cursor in the username field', async (t) => {
    const { context, problems } = await newWatchedContext(browser)
    t.teardown(() => context.close())
    const page = await context.newPage()
    const res = await page.goto(`${base}/login`)
    t.equal(res?.status(), 200)
    t.match(res?.headers()['content-security-policy'], /script-src 'self'/)
    t.equal(await page.title(), 'Log in · hero-socket')
    await page.waitForFunction(() => document.activeElement?.id === 'username', undefined, { timeout: 5000 }).catch(
      () => {}
    )
    t.equal(await page.evaluate(() => document.activeElement?.id), 'username', 'autofocus on username')
    t.equal(await page.locator('label[for="username"]').textContent(), 'Username')
    t.equal(await page.locator('label[for="password"]').textContent(), 'Password')
    t.equal(await page.locator('#login-notice').count(), 0, 'no notice without a reason')
    await saveScreenshot(page, 'login')
    t.same(
      problems,
      { consoleErrors: [], pageErrors: [], cspViolations: [] },
      'no console error, page error or CSP violation'
    )
  })

  t.test('a wrong password shows the error and does not log in', async (t) => {
    const { context, problems } = await newWatchedContext(browser)
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${base}/login`)
    await page.fill('#username', TEST_USER.username)
    await page.fill('#password', 'not the password')
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${base}/login` && r.request().method() === 'POST'),
      page.click('button[type="submit"]')
    ])
    t.equal(response.status(), 401)
    const notice = page.locator('#login-notice')
    await notice.waitFor()
    t.equal(await notice.textContent(), HTTP_ERRORS.login_failed.message)
    t.equal(await notice.getAttribute('role'), 'alert')
    t.equal(await page.locator('#username').count(), 1, 'the form is shown again')
    t.same((await context.cookies()).filter((c) => c.name === '__Host-sid'), [], 'no session cookie')
    // Chromium logs the 401 document as a failed resource load; that line is expected here.
    t.same(problems.consoleErrors.filter((e) => !/status of 401/.test(e)), [], 'no other console error')
    t.same(problems.pageErrors, [])
    t.same(problems.cspViolations, [])
    clearProblems(problems)
  })

  t.test('the right password with the keyboard alone reaches the hero page', async (t) => {
    const { context, problems } = await newWatchedContext(browser)
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${base}/login`)
    // As a person would: type once the cursor is in the field (Chromium applies autofocus at its
    // next rendering, which on a loaded machine can come after the load event).
    await page.waitForFunction(() => document.activeElement?.id === 'username')
    await page.keyboard.type(TEST_USER.username)
    await page.keyboard.press('Tab')
    t.equal(await page.evaluate(() => document.activeElement?.id), 'password', 'Tab moves to the password')
    await page.keyboard.type(TEST_USER.password)
    await Promise.all([page.waitForURL(`${base}/`), page.keyboard.press('Enter')])
    t.equal(await page.title(), 'Heroes · hero-socket')
    const cookie = (await context.cookies()).find((c) => c.name === '__Host-sid')
    t.ok(
      cookie?.httpOnly && cookie.secure && cookie.sameSite === 'Strict',
      'session cookie is HttpOnly, Secure, SameSite=Strict'
    )
    t.same(problems.pageErrors, [])
    t.same(problems.cspViolations, [])
  })

  t.test('a 1024-byte non-ASCII password set with the users CLI logs in through the form; one byte more shows the ' +
    'limit', async (t) => {
    const password = '漢'.repeat(340) + 'éé' // 1020 + 4 bytes of UTF-8: exactly the limit
    const added = await runNode(
      builtFile('dist/src/cli/users-cli.js'),
      ['add', 'kanji', '--permanent'], // a lasting password: the hero page opens at once
      { USERS_FILE: server.usersFile },
      password
    )
    t.equal(added.code, 0, added.stderr)
    await waitUntil(async () => await server.users.get('kanji') !== undefined, 'the server to read the new user')
    const { context, problems } = await newWatchedContext(browser)
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${base}/login`)
    await page.fill('#username', 'kanji')
    await page.fill('#password', `${password}x`)
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${base}/login` && r.request().method() === 'POST'),
      page.click('button[type="submit"]')
    ])
    t.equal(refused.status(), 400, 'one byte past the limit: refused')
    const notice = page.locator('#login-notice')
    await notice.waitFor()
    t.match(await notice.textContent(), 'passwords up to 1024 bytes', 'the page says what the limit is')
    await loginThroughForm(page, base, 'kanji', password)
    t.equal(await page.title(), 'Heroes · hero-socket', 'at the limit: logged in')
    t.same(problems.consoleErrors.filter((e) => !/status of 400/.test(e)), [], 'no console error but the 400 document')
    t.same(problems.pageErrors, [])
    t.same(problems.cspViolations, [])
  })

  t.test('notices after a redirect are fixed texts; anything else shows none', async (t) => {
    const { context, problems } = await newWatchedContext(browser)
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${base}/login?notice=session_ended`)
    t.equal(await page.locator('#login-notice').textContent(), 'Your session has ended. Please log in again.')
    t.equal(await page.locator('#login-notice').getAttribute('role'), 'status')
    await page.goto(`${base}/login?notice=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E`)
    t.equal(await page.locator('#login-notice').count(), 0)
    t.equal(await page.locator('img[src="x"]').count(), 0)
    t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] })
  })

  t.test('log out from the hero page returns to the login page with a notice', async (t) => {
    const { context, problems } = await newWatchedContext(browser)
    t.teardown(() => context.close())
    const page = await context.newPage()
    await loginThroughForm(page, base, TEST_USER.username, TEST_USER.password)
    const sid = (await context.cookies()).find((c) => c.name === '__Host-sid')?.value ?? ''
    t.ok(await server.sessions.get(sid), 'logged in')
    await Promise.all([page.waitForURL(`${base}/login?notice=logged_out`), page.click('#logout-form button')])
    t.equal(await page.locator('#login-notice').textContent(), 'You have logged out.')
    t.equal(await server.sessions.get(sid), undefined, 'the session is gone on the server')
    await page.goto(`${base}/`)
    t.equal(new URL(page.url()).pathname, '/login', 'the hero page is closed again')
    t.same(problems.pageErrors, [])
    t.same(problems.cspViolations, [])
  })

  t.test('fits a phone screen without sideways scrolling', async (t) => {
    const { context, problems } = await newWatchedContext(
      browser,
      { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true }
    )
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${base}/login`)
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth
    )
    t.equal(overflow, 0)
    const box = await page.locator('button[type="submit"]').boundingBox()
    t.ok(box !== null && box.height >= 40, 'the button is a comfortable touch target')
    t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] })
  })
})
