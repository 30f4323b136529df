// The change-password page in Debian's Chromium: an issued (one-time) password leads to the form
// before anything else, a common password is refused with its reason, a chosen one opens the hero
// page; a change in one browser ends the session of another (its page returns to the login page
// saying so), the new password works and the old fails. axe-core finds no violation on the page,
// desktop and phone, by keyboard alone; no CSP violation, no console error. Screenshots go to
// docs/screenshots/.
import { createRequire } from 'node:module'
import fs from 'node:fs'
import t from 'tap'
import type { Page } from 'playwright-core'
import { ONE_TIME_PASSWORD_LIFETIME_MS } from '../../src/account-limits.js'
import { HTTP_ERRORS, PASSWORD_REFUSALS } from '../../src/errors.js'
import {
  connectedPage, launchBrowser, loginThroughForm, newWatchedContext, saveScreenshot
} from '../helpers/browser.js'
import { hashFor, startTestServer, TEST_USER } from '../helpers/test-server.js'

/** axe-core's browser build, run in the page by page.evaluate: the page's CSP stays on. */
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true } as const
const ISSUED = 'an issued password for bob'
const CHOSEN = 'paper lanterns over the harbour'

interface AxeViolation { id: string, impact?: string, nodes: Array<{ target: string[] }> }

/** Every axe violation on the page (WCAG 2.x A and AA and best practices), as "rule (impact): targets". */
async function axeViolations (page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (options: unknown) => Promise<{ violations: unknown[] }> } }).axe
    return (await axe.run({ resultTypes: ['violations'] })).violations
  }) as AxeViolation[]
  return violations.map((v) => `${v.id} (${v.impact ?? '?'}): ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`)
}

/** Fills the form by keyboard alone (Tab from the focused first field) and submits it with Enter. */
async function changeByKeyboard (page: Page, current: string, next: string, repeat = next): Promise<void> {
  await page.locator('#current-password:focus').waitFor()
  await page.keyboard.type(current)
  await page.keyboard.press('Tab')
  await page.keyboard.type(next)
  await page.keyboard.press('Tab')
  await page.keyboard.type(repeat)
  await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.keyboard.press('Enter')])
}

for (const [device, options] of [['desktop', {}], ['phone', PHONE]] as const) {
  t.test(`${device}: an issued password leads to the form; a common password is refused with its reason; ` +
    'a chosen one opens the hero page', async (t) => {
    const server = await startTestServer(t, { LOGIN_RATE_USER_MAX: '100' })
    await server.users.put({
      username: 'bob',
      hash: await hashFor(ISSUED),
      passwordSetAt: server.clock.now,
      mustChangeBy: server.clock.now + ONE_TIME_PASSWORD_LIFETIME_MS
    })
    const browser = await launchBrowser(t)
    const { context, problems } = await newWatchedContext(browser, options)
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${server.url}/login`)
    await page.fill('#username', 'bob')
    await page.fill('#password', ISSUED)
    await Promise.all([page.waitForURL(`${server.url}/account/password`), page.click('button[type="submit"]')])
    t.equal(
      await page.locator('#password-lead').textContent(),
      'The password you were given works only until you choose your own: choose it now to continue.'
    )
    t.same(await axeViolations(page), [], 'no axe violation on the form')
    if (device === 'desktop') await saveScreenshot(page, 'change-password')

    await changeByKeyboard(page, ISSUED, '1Q2W3E4R5T6Y7U8I9O0P')
    t.equal(await page.locator('#password-notice[role="alert"]').textContent(), PASSWORD_REFUSALS.password_common)
    t.same(await axeViolations(page), [], 'no axe violation with the refusal shown')
    if (device === 'phone') await saveScreenshot(page, 'password-refused-phone')

    await changeByKeyboard(page, ISSUED, CHOSEN)
    t.match(await page.locator('#password-notice[role="status"]').textContent(), /^Your password has been changed\./)
    await page.goto(`${server.url}/`)
    await page.locator('#status[data-state="connected"]').waitFor()
    t.same(
      problems.consoleErrors.map((e) => e.replace(/^https:\/\/[^/]+/, '')),
      ['/account/password: Failed to load resource: the server responded with a status of 400 (Bad Request)'],
      'the refusal\'s 400 is the one console error'
    )
    t.same(problems.cspViolations, [], 'no CSP violation')
    t.same(problems.pageErrors, [])
  })
}

t.test('a change in one browser ends the other\'s session; the new password works, the old fails', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_USER_MAX: '100' })
  const browser = await launchBrowser(t)
  const changer = await connectedPage(t, browser, server.url)
  const other = await connectedPage(t, browser, server.url)
  await changer.page.goto(`${server.url}/account/password`)
  await changeByKeyboard(changer.page, TEST_USER.password, CHOSEN)
  t.equal(
    await changer.page.locator('#password-notice').textContent(),
    'Your password has been changed. Your other session has ended: wherever else you were logged in, you must ' +
      'log in again with the new password.'
  )
  await saveScreenshot(changer.page, 'password-changed')
  await other.page.waitForURL(`${server.url}/login?notice=session_ended`)
  t.equal(await other.page.locator('#login-notice').textContent(), 'Your session has ended. Please log in again.')

  await changer.page.goto(`${server.url}/`)
  await changer.page.locator('#status[data-state="connected"]').waitFor()
  t.pass('the browser that changed it goes on')

  await other.page.fill('#username', TEST_USER.username)
  await other.page.fill('#password', TEST_USER.password)
  await Promise.all([other.page.waitForResponse((r) => r.request().method() === 'POST'), other.page.click('button')])
  t.equal(await other.page.locator('#login-notice').textContent(), HTTP_ERRORS.login_failed.message,
    'the old password fails')
  await loginThroughForm(other.page, server.url, TEST_USER.username, CHOSEN)
  await other.page.locator('#status[data-state="connected"]').waitFor()
  t.pass('the new one works')
  for (const { problems } of [changer, other]) {
    t.same(problems.cspViolations, [])
    t.same(problems.pageErrors, [])
  }
})
