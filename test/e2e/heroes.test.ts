// The hero page in Debian's Chromium against the real server and gate: it connects, shows the
// user, renders the heroes the server sends, answers every one (by mouse and keyboard), shows
// the slow-down state, fits a phone, and breaks no CSP rule and logs no error on the way.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { Page } from 'playwright-core'
import { launchBrowser, loginThroughForm, newWatchedContext, saveScreenshot } from '../helpers/browser.js'
import { startTestServer, TEST_USER } from '../helpers/test-server.js'
import { PUBLIC_DIR } from '../../src/http/pages.js'

/** The heroes and real names the protocol promises. */
const EXPECTED = [
  { id: 'ironMan', name: 'Iron Man', realName: 'Tony Stark' },
  { id: 'hulk', name: 'Hulk', realName: 'Bruce Banner' },
  { id: 'wonderWoman', name: 'Wonder Woman', realName: 'Diana' },
  { id: 'batMan', name: 'Batman', realName: 'Bruce Wayne' },
  { id: 'blackPanther', name: 'Black Panther', realName: "T'Challa" }
]

async function waitForState (page: Page, state: string): Promise<void> {
  await page.locator(`#status[data-state="${state}"]`).waitFor()
}

async function answerOf (page: Page, hero: string): Promise<string | null> {
  const card = page.locator(`#answers li[data-hero="${hero}"][data-state="done"]`).first()
  await card.waitFor()
  return card.locator('.answer-name').textContent()
}

t.test('hero page', async (t) => {
  const server = await startTestServer(t)
  const browser = await launchBrowser(t)

  t.test('connects, shows the user and the heroes the server sent, answers each one', async (t) => {
    const { context, problems } = await newWatchedContext(browser)
    t.teardown(() => context.close())
    const page = await context.newPage()
    await loginThroughForm(page, server.url, TEST_USER.username, TEST_USER.password)
    await waitForState(page, 'connected')
    t.equal(await page.locator('#who').textContent(), 'Signed in as alice')

    const shell = fs.readFileSync(path.join(PUBLIC_DIR, 'index.html'), 'utf8')
    t.notOk(EXPECTED.some((h) => shell.includes(h.name) || shell.includes(h.id)), 'no hero is written into the page itself')
    const buttons = page.locator('#heroes button[data-hero]')
    t.same(await buttons.evaluateAll((els) => els.map((b) => [(b as HTMLElement).dataset.hero, b.querySelector('.hero-label')?.textContent])),
      EXPECTED.map((h) => [h.id, h.name]), 'one button per hero from user_authorized, in order')

    for (const hero of [...EXPECTED].reverse()) {
      await page.click(`#heroes button[data-hero="${hero.id}"]`)
      t.equal(await answerOf(page, hero.id), hero.realName, `${hero.name} is ${hero.realName}`)
    }
    t.equal(await page.locator('#answers li').count(), 5)
    t.equal(await page.locator('#answers-empty').isHidden(), true)
    t.equal(await page.locator('#answers li').first().getAttribute('data-hero'), 'ironMan', 'newest answer first')
    await page.locator('#heroes').focus()
    await page.mouse.move(0, 0)
    await saveScreenshot(page, 'heroes')

    t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] }, 'login and hero pages: no console error, page error or CSP violation')
  })

  t.test('works with the keyboard alone, with a visible focus ring', async (t) => {
    const { context, problems } = await newWatchedContext(browser)
    t.teardown(() => context.close())
    const page = await context.newPage()
    await loginThroughForm(page, server.url, TEST_USER.username, TEST_USER.password)
    await waitForState(page, 'connected')
    await page.locator('#heroes button').first().waitFor()
    // From the top of the page: Log out, then the first hero (the status button is hidden).
    await page.evaluate(() => { (document.activeElement as HTMLElement | null)?.blur() })
    await page.keyboard.press('Tab')
    t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Log out')
    await page.keyboard.press('Tab')
    t.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.hero), 'ironMan')
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle)
    t.equal(outline, 'solid', 'the focused hero shows an outline')
    await page.keyboard.press('Enter')
    t.equal(await answerOf(page, 'ironMan'), 'Tony Stark')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Space')
    t.equal(await answerOf(page, 'hulk'), 'Bruce Banner')
    t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] })
  })

  t.test('fits a phone screen', async (t) => {
    const { context, problems } = await newWatchedContext(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true })
    t.teardown(() => context.close())
    const page = await context.newPage()
    await loginThroughForm(page, server.url, TEST_USER.username, TEST_USER.password)
    await waitForState(page, 'connected')
    await page.tap('#heroes button[data-hero="blackPanther"]')
    t.equal(await answerOf(page, 'blackPanther'), "T'Challa")
    t.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0, 'no sideways scrolling')
    t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] })
  })
})

t.test('too many questions: the page says slow down and waits as long as the server asks', async (t) => {
  const server = await startTestServer(t, { MESSAGE_RATE: '1', MESSAGE_BURST: '2' })
  const browser = await launchBrowser(t)
  const { context, problems } = await newWatchedContext(browser)
  t.teardown(() => context.close())
  const page = await context.newPage()
  await loginThroughForm(page, server.url, TEST_USER.username, TEST_USER.password)
  await waitForState(page, 'connected')
  await page.locator('#heroes button').first().waitFor()
  // Five questions in one go: the bucket holds two.
  await page.evaluate(() => { for (const b of document.querySelectorAll<HTMLButtonElement>('#heroes button')) b.click() })
  await waitForState(page, 'limited')
  t.match(await page.locator('#status-text').textContent(), /Slow down/)
  t.match(await page.locator('#status-countdown').textContent(), /\d(\.\d)? s$/, 'shows the time to wait')
  t.same(await page.locator('#heroes button').evaluateAll((els) => els.map((b) => (b as HTMLButtonElement).disabled)), [true, true, true, true, true], 'buttons disabled meanwhile')
  t.equal(await page.locator('#answers li[data-state="done"]').count(), 2, 'the two in the bucket were answered')
  t.equal(await page.locator('#answers li[data-state="error"]').count(), 3, 'the rest say they were not answered')
  await waitForState(page, 'connected')
  t.equal(await page.locator('#heroes button:disabled').count(), 0, 'buttons come back when the wait is over')
  await page.click('#heroes button[data-hero="hulk"]')
  await page.locator('#answers li[data-hero="hulk"][data-state="done"]').nth(0).waitFor()
  t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] })
})
