// The pages in light and dark (prefers-color-scheme), on a desktop and a phone, in Debian's
// Chromium: axe-core finds no violation (contrast included) on the login and hero pages in either
// scheme, the phone header stays on one row, and the answers list says it keeps the last 20 and
// clears by keyboard, announced to screen readers. Screenshots go to docs/screenshots/.
import { createRequire } from 'node:module'
import fs from 'node:fs'
import t, { type Test } from 'tap'
import type { Browser, Page } from 'playwright-core'
import { connectedPage, launchBrowser, newWatchedContext, saveScreenshot } from '../helpers/browser.js'
import { EXPECTED_HEROES } from '../helpers/expected-heroes.js'
import { startTestServer } from '../helpers/test-server.js'

/** axe-core's browser build, run in the page by page.evaluate: the page's CSP stays on. */
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

const SCHEMES = ['light', 'dark'] as const
const DEVICES = {
  desktop: { viewport: { width: 1100, height: 760 } },
  phone: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true }
} as const

interface AxeViolation { id: string, nodes: Array<{ target: string[], failureSummary?: string }> }

/** Every axe violation on the page (WCAG 2.x A and AA and best practices), as "rule: targets". */
async function axeViolations (page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (options: unknown) => Promise<{ violations: unknown[] }> } }).axe
    const result = await axe.run({ resultTypes: ['violations'] })
    return result.violations
  }) as AxeViolation[]
  return violations.map((v) => `${v.id}: ${v.nodes.map((n) => `${n.target.join(' ')} (${n.failureSummary ?? ''})`)
    .join('; ')}`)
}

/** Asserts the page follows the scheme: its background is dark exactly in dark mode. */
async function assertScheme (t: Test, page: Page, scheme: 'light' | 'dark'): Promise<void> {
  const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)
  const [r = 0, g = 0, b = 0] = (background.match(/\d+/g) ?? []).map(Number)
  const luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
  t.equal(luminance < 0.5, scheme === 'dark', `${scheme}: the page background ${background} follows the scheme`)
}

t.test('light and dark, desktop and phone', async (t) => {
  const server = await startTestServer(t, { LOGIN_RATE_IP_MAX: '100', LOGIN_RATE_USER_MAX: '100' })
  const browser = await launchBrowser(t)

  for (const scheme of SCHEMES) {
    for (const [device, options] of Object.entries(DEVICES)) {
      t.test(`${scheme}, ${device}: no axe violation on the login page, with and without a notice`, async (t) => {
        const { context, problems } = await newWatchedContext(browser, { ...options, colorScheme: scheme })
        t.teardown(() => context.close())
        const page = await context.newPage()
        await page.goto(`${server.url}/login?notice=account_removed`)
        await assertScheme(t, page, scheme)
        t.same(await axeViolations(page), [], 'with an info notice')
        await page.fill('#username', 'alice')
        await page.fill('#password', 'not the password')
        await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST'),
          page.click('button[type=submit]')
        ])
        await page.locator('#login-notice').waitFor()
        t.same(await axeViolations(page), [], 'with an error notice')
        t.same(problems.pageErrors, [])
        t.same(problems.cspViolations, [], 'axe ran without lifting the CSP, and broke none of it')
      })

      t.test(`${scheme}, ${device}: no axe violation on the hero page, with answers`, async (t) => {
        const { page, problems } = await connectedPage(t, browser, server.url, { ...options, colorScheme: scheme })
        await assertScheme(t, page, scheme)
        for (const hero of EXPECTED_HEROES.slice(0, 3)) {
          await page.click(`#heroes button[data-hero="${hero.id}"]`)
          await page.locator(`#answers li[data-hero="${hero.id}"][data-state="done"]`).first().waitFor()
        }
        await page.mouse.move(0, 0)
        t.same(await axeViolations(page), [], 'connected, three answers')
        if (device === 'phone') await assertHeaderOnOneRow(t, page)
        if (scheme === 'dark' && device === 'phone') await saveScreenshot(page, 'heroes-dark-phone')
        t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] })
      })
    }
  }

  t.test('the answers list keeps the last 20, says so, and clears by keyboard', async (t) => {
    // The test server's clock stands still, so its token buckets never refill: a burst for all 23.
    const roomy = await startTestServer(t, { MESSAGE_BURST: '100' })
    await clearAnswersByKeyboard(t, browser, roomy.url)
  })
})

/** The phone header: the name, who is signed in and Log out on one row, nothing overflowing. */
async function assertHeaderOnOneRow (t: Test, page: Page): Promise<void> {
  const boxes = await page.evaluate(() => ['.topbar .brand', '#who', '#logout-form button'].map((selector) => {
    const box = document.querySelector(selector)?.getBoundingClientRect()
    return box === undefined ? null : { top: box.top, bottom: box.bottom, right: box.right }
  }))
  const [brand, who, logout] = boxes
  if (brand == null || who == null || logout == null) {
    t.fail('the header lacks the name, the user or the button')
    return
  }
  const middle = (box: { top: number, bottom: number }): number => (box.top + box.bottom) / 2
  t.ok(Math.abs(middle(brand) - middle(who)) < 8 && Math.abs(middle(who) - middle(logout)) < 8,
    `one row: ${JSON.stringify(boxes)}`)
  t.ok(logout.right <= 360, 'Log out is on the screen')
  t.equal(await page.locator('#who .who-name').isVisible(), true, 'the name shows')
  t.equal(await page.locator('#who').textContent(), 'Signed in as alice', 'in full for screen readers')
  const height = await page.locator('.topbar').evaluate((el) => el.getBoundingClientRect().height)
  t.ok(height < 70, `the header is one row high (${height}px)`)
}

async function clearAnswersByKeyboard (t: Test, browser: Browser, url: string): Promise<void> {
  const { page, problems } = await connectedPage(t, browser, url)
  t.equal(await page.locator('#answers-hint').textContent(), 'The last 20 are kept here, newest first.')
  t.equal(await page.locator('#answers-clear').isHidden(), true, 'nothing to clear yet')
  const heroes = EXPECTED_HEROES.map((hero) => hero.id)
  for (let i = 0; i < 22; i++) {
    // Within the page's own budget: wait for each answer before the next question.
    const hero = heroes[i % heroes.length] ?? ''
    await page.locator('#status[data-state="connected"]').waitFor()
    await page.click(`#heroes button[data-hero="${hero}"]`)
    await page.waitForFunction(() => document.querySelector('#answers li[data-state="pending"]') === null)
  }
  t.equal(await page.locator('#answers li').count(), 20, '22 answers asked, the last 20 kept')
  const clear = page.locator('#answers-clear')
  await clear.focus()
  t.equal(await page.evaluate(() => document.activeElement?.id), 'answers-clear')
  await page.keyboard.press('Enter')
  t.equal(await page.locator('#answers li').count(), 0, 'Enter cleared the list')
  t.equal(await page.locator('#answers-empty').isVisible(), true, 'the empty text is back')
  t.equal(await page.locator('#answers-announce').textContent(), 'Answers cleared.')
  t.equal(await page.locator('#answers-announce').getAttribute('role'), 'status', 'announced to screen readers')
  t.equal(await page.evaluate(() => document.activeElement?.id), 'answers-title', 'the focus moved to the heading')
  await page.locator('#status[data-state="connected"]').waitFor()
  await page.click(`#heroes button[data-hero="${heroes[0] ?? ''}"]`)
  await page.locator('#answers li[data-state="done"]').waitFor()
  t.equal(await clear.isVisible(), true, 'a new answer brings the button back')
  t.equal(await page.locator('#answers-announce').textContent(), '', 'and the announcement is not repeated')
  t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] })
}
