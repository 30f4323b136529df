// The hero page in Debian's Chromium against the real server and gate: it connects, shows the
// user, renders the heroes the server sends, answers every one (by mouse and keyboard), shows
// the slow-down state, fits a phone, and breaks no CSP rule and logs no error on the way.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { BrowserContext, Page } from 'playwright-core'
import { connectedPage, launchBrowser, saveScreenshot } from '../helpers/browser.js'
import { EXPECTED_HEROES } from '../helpers/expected-heroes.js'
import { HeroClient } from '../helpers/hero-client.js'
import { scrape, valueOf } from '../helpers/metrics.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { CLOSE_CODES } from '../../src/errors.js'
import { PUBLIC_DIR } from '../../src/http/pages.js'

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
    const { page, problems } = await connectedPage(t, browser, server.url)
    t.equal(await page.locator('#who').textContent(), 'Signed in as alice')

    const shell = fs.readFileSync(path.join(PUBLIC_DIR, 'index.html'), 'utf8')
    t.notOk(
      EXPECTED_HEROES.some((h) => shell.includes(h.name) || shell.includes(h.id)),
      'no hero is written into the page itself'
    )
    const buttons = page.locator('#heroes button[data-hero]')
    t.same(await buttons.evaluateAll(
      (els) => els.map((b) => [(b as HTMLElement).dataset.hero, b.querySelector('.hero-label')?.textContent])
    ),
    EXPECTED_HEROES.map((h) => [h.id, h.name]), 'one button per hero from user_authorized, in order')

    for (const hero of [...EXPECTED_HEROES].reverse()) {
      await page.click(`#heroes button[data-hero="${hero.id}"]`)
      t.equal(await answerOf(page, hero.id), hero.realName, `${hero.name} is ${hero.realName}`)
    }
    t.equal(await page.locator('#answers li').count(), 5)
    t.equal(await page.locator('#answers-empty').isHidden(), true)
    t.equal(await page.locator('#answers li').first().getAttribute('data-hero'), 'ironMan', 'newest answer first')
    await page.locator('#heroes').focus()
    await page.mouse.move(0, 0)
    await saveScreenshot(page, 'heroes')

    t.same(
      problems,
      { consoleErrors: [], pageErrors: [], cspViolations: [] },
      'login and hero pages: no console error, page error or CSP violation'
    )
  })

  t.test('works with the keyboard alone, with a visible focus ring', async (t) => {
    const { page, problems } = await connectedPage(t, browser, server.url)
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
    const { page, problems } = await connectedPage(
      t,
      browser,
      server.url,
      { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true }
    )
    await page.tap('#heroes button[data-hero="blackPanther"]')
    t.equal(await answerOf(page, 'blackPanther'), "T'Challa")
    t.equal(
      await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
      0,
      'no sideways scrolling'
    )
    t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] })
  })
})

/** The page's session cookie, to open a socket of its own beside the page. */
async function sessionOf (context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name === '__Host-sid')
  if (cookie === undefined) throw new Error('the page has no session cookie')
  return cookie.value
}

/** Every get_name the server received and how it answered, from its metrics. */
async function requestsAtServer (server: TestServer): Promise<{ answered: number, limited: number }> {
  const samples = await scrape(server)
  return {
    answered: valueOf(samples, 'hero_socket_messages_total', { type: 'get_name', outcome: 'answered' }),
    limited: valueOf(samples, 'hero_socket_messages_total', { type: 'unread', outcome: 'rate_limited' })
  }
}

t.test('sixty clicks in one moment: the page keeps within its budget and its socket stays open', async (t) => {
  // The default burst of 20, refilled at 1 a second (not 10) so that the slowed-down page can be
  // looked at and photographed before the next request is possible.
  const server = await startTestServer(t, { METRICS_PORT: '0', MESSAGE_RATE: '1' })
  const browser = await launchBrowser(t)
  const { page, problems } = await connectedPage(t, browser, server.url)
  await page.locator('#heroes button').first().waitFor()
  // An auto-clicker: sixty clicks on Iron Man in one task, faster than any person; what the page
  // shows is read in the same task, before any reply can arrive.
  const right = await page.evaluate(() => {
    const button = document.querySelector<HTMLButtonElement>('#heroes button[data-hero="ironMan"]')
    for (let i = 0; i < 60; i++) button?.click()
    return {
      state: document.getElementById('status')?.dataset.state,
      text: document.getElementById('status-text')?.textContent,
      cards: document.querySelectorAll('#answers li').length,
      ariaDisabled: document.querySelectorAll('#heroes button[aria-disabled="true"]').length,
      disabled: document.querySelectorAll('#heroes button:disabled').length
    }
  })
  t.same(right, { state: 'limited', text: 'Slow down: you can ask again in', cards: 20, ariaDisabled: 5, disabled: 0 },
    'at once: slow down, twenty cards for the twenty requests sent, the buttons look disabled but still take a click ' +
    '(and keep the keyboard focus)')
  t.match(
    await page.locator('#status-countdown').textContent(),
    /^ \d\.\d s$/,
    'with the time until the next request is possible'
  )
  await saveScreenshot(page, 'slow-down', false)
  const cards = page.locator('#answers li')
  await page.locator('#answers li[data-state="pending"]').first().waitFor({ state: 'detached' })
  const sent = await cards.count()
  t.equal(sent, 20, 'the burst of 20 was sent; the other forty clicks sent nothing')
  t.equal(
    await page.locator('#answers li[data-state="done"]').count(),
    sent,
    'one answer card per request sent, each answered'
  )
  t.equal(await page.locator('#answers li[data-state="error"]').count(), 0, 'no failure cards')
  t.same(
    await requestsAtServer(server),
    { answered: sent, limited: 0 },
    'the server received exactly those, and refused none'
  )
  t.equal(server.app.websocket.connections.size, 1, 'the socket is still open')

  // The test server runs on a clock of its own, which stands still unless moved: a second passes
  // for it as for the page.
  server.clock.advance(1000)
  await waitForState(page, 'connected')
  await page.click('#heroes button[data-hero="hulk"]')
  t.equal(await answerOf(page, 'hulk'), 'Bruce Banner', 'a click after the wait is answered')
  t.same(await requestsAtServer(server), { answered: sent + 1, limited: 0 })
  t.match(
    await page.locator('#status').getAttribute('data-state'),
    /^(connected|limited)$/,
    'never stopped (limited again: that request spent the one token)'
  )
  t.equal(server.app.websocket.connections.size, 1, 'the same socket all along')
  t.same(problems, { consoleErrors: [], pageErrors: [], cspViolations: [] })
})

t.test('a client that ignores the budget, with the same cookie, still meets rate_limited and then 1008', async (t) => {
  const server = await startTestServer(t)
  const browser = await launchBrowser(t)
  const { context, page } = await connectedPage(t, browser, server.url)
  const script = await HeroClient.open(t, server, await sessionOf(context))
  t.match(
    await script.next(),
    { type: 'user_authorized', limits: { messageRate: 10, messageBurst: 20 } },
    'told the same budget'
  )
  for (let i = 0; i < 60; i++) script.send({ type: 'get_name', id: i, hero: 'ironMan' })
  t.same(await script.closed(), { code: 1008, reason: 'policy_violation' }, 'closed with 1008')
  const replies = script.messages.slice(1) as Array<{ type: string, code?: string }>
  t.equal(replies.filter((m) => m.type === 'name').length, 20, 'the burst was answered')
  t.equal(
    replies.filter((m) => m.code === 'rate_limited').length,
    21,
    'then rate_limited: once telling it to wait, then as many times during the wait as MAX_RATE_LIMITED_MESSAGES allows'
  )
  t.equal(await page.locator('#status').getAttribute('data-state'), 'connected', 'the page\'s own socket is untouched')
})

t.test('each terminal close, said in words, with the code only in the small print', async (t) => {
  const server = await startTestServer(t)
  const browser = await launchBrowser(t)
  const { page, problems } = await connectedPage(t, browser, server.url)
  /** Closes the page's socket from the server with `code` and its registry reason. */
  const serverCloses = async (code: number): Promise<void> => {
    await waitForState(page, 'connected')
    const close = Object.values(CLOSE_CODES).find((c) => c.code === code)
    const sockets = [...server.app.websocket.connections.all()]
    t.equal(sockets.length, 1, 'the page has one socket')
    for (const { ws } of sockets) ws.close(code, close?.reason)
  }
  for (const code of [1003, 1008, 1009]) {
    await serverCloses(code)
    await waitForState(page, 'failed')
    t.equal(
      await page.locator('#status-text').textContent(),
      'This page sent something the server could not accept, so the connection was stopped. ' +
        'Reload the page to start again.',
      `${code}: what happened and what to do`
    )
    t.equal(
      await page.locator('#status-detail').textContent(),
      `For support: the connection closed with code ${code}.`,
      `${code}: the code in the small print`
    )
    t.equal(await page.locator('#status-action').textContent(), 'Reload')
    t.equal(await page.locator('#heroes button:enabled').count(), 0, 'nothing to click meanwhile')
    if (code === 1008) await saveScreenshot(page, 'stopped')
    await Promise.all([page.waitForEvent('load'), page.click('#status-action')])
  }
  // The wait after 1011 lasts a random 0 to 500 ms (the first backoff), which a poll can miss:
  // the page records what its status line said at every change instead.
  await recordStatusLines(page)
  await serverCloses(1011)
  const waiting = await waitUntilStatusSaid(page, 'The server had a problem. Trying again in')
  t.notMatch(waiting.text, /\d{4}/, '1011: no code in the main text')
  t.equal(waiting.detail, 'For support: the connection closed with code 1011.')
  await waitForState(page, 'connected')
  t.equal(await page.locator('#status-detail').textContent(), '', 'back to connected: no small print')
  await page.click('#heroes button[data-hero="wonderWoman"]')
  t.equal(await answerOf(page, 'wonderWoman'), 'Diana', 'and it answers again')
  t.same(problems.pageErrors, [])
  t.same(problems.cspViolations, [])
})

/** What the status line said (its text and small print), as the page recorded it. */
interface StatusLine { readonly text: string, readonly detail: string }

/** Makes the page record its status line at every change (window.statusLines), from now on. */
async function recordStatusLines (page: Page): Promise<void> {
  await page.evaluate(() => {
    const lines: Array<{ text: string, detail: string }> = []
    const record = (): void => {
      lines.push({
        text: document.querySelector('#status-text')?.textContent ?? '',
        detail: document.querySelector('#status-detail')?.textContent ?? ''
      })
    }
    const status = document.querySelector('#status')
    if (status === null) throw new Error('no #status')
    new MutationObserver(record).observe(
      status,
      { subtree: true, childList: true, characterData: true, attributes: true }
    )
    ;(window as unknown as { statusLines: typeof lines }).statusLines = lines
  })
}

/** Waits (at most 20 s) until the recorded status line has said something starting with `text`; that line. */
async function waitUntilStatusSaid (page: Page, text: string): Promise<StatusLine> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const lines = await page.evaluate(() => (window as unknown as { statusLines: StatusLine[] }).statusLines)
    const said = lines.find((line) => line.text.startsWith(text))
    if (said !== undefined) return said
    if (Date.now() > deadline) throw new Error(`the status line never said "${text}": ${JSON.stringify(lines)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
