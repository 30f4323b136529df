// Debian's Chromium driven by playwright-core, for the end-to-end tests: one browser per test
// file (closed in teardown) that accepts the test servers' key and verifies every other, and a watcher
// that records console errors, uncaught page errors and CSP violations on every page.
import fsp from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { spkiPin, testCa } from './test-ca.js'
import { TEST_USER, type Teardown } from './test-server.js'

/** Where Debian installs Chromium (`apt-get install chromium`); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** docs/screenshots/, where the e2e run saves the pictures the README and docs/client.md show. */
export const SCREENSHOTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots')

/** Generous waits for a machine shared with other test runs, in milliseconds. */
export const WAIT_MS = 20_000

/**
 * Starts headless Chromium; closed when the test ends. Chromium takes no CA from the command line
 * (it reads the system's and its profile's stores), so it is told the public key of the
 * certificate the tests' CA signed for every test server and nginx: that one key is accepted,
 * every other certificate is verified as usual (playwright gives the browser a profile folder,
 * which the flag needs).
 */
export async function launchBrowser (t: Teardown): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--ignore-certificate-errors-spki-list=${spkiPin(testCa().cert)}`
    ]
  })
  t.teardown(() => browser.close())
  return browser
}

/** Everything that went wrong in the pages of one context. */
export interface PageProblems {
  /** `console.error` and browser-logged errors (failed loads, refused sockets), with the page URL. */
  consoleErrors: string[]
  /** Uncaught exceptions. */
  pageErrors: string[]
  /** CSP violations reported by `securitypolicyviolation` events. */
  cspViolations: string[]
}

/**
 * A browser context that records the problems of its pages.
 * @param options extra context options (viewport, ...)
 */
export async function newWatchedContext (
  browser: Browser,
  options: Parameters<Browser['newContext']>[0] = {}
): Promise<{ context: BrowserContext, problems: PageProblems }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, ...options })
  context.setDefaultTimeout(WAIT_MS)
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], cspViolations: [] }
  await context.exposeBinding('__reportCspViolation', (_source, text: string) => { problems.cspViolations.push(text) })
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __reportCspViolation (text: string): void }).__reportCspViolation
      report(`${event.violatedDirective} blocked ${event.blockedURI || '(inline)'} on ${location.pathname}`)
    })
  })
  const watch = (page: Page): void => {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.consoleErrors.push(`${page.url()}: ${message.text()}`)
    })
    page.on('pageerror', (error) => { problems.pageErrors.push(`${page.url()}: ${error.message}`) })
  }
  context.on('page', watch)
  return { context, problems }
}

/**
 * A new watched context (closed at teardown) with one page logged in through the form at
 * `baseUrl` as the test user, its socket connected.
 */
export async function connectedPage (
  t: Teardown,
  browser: Browser,
  baseUrl: string,
  options: Parameters<Browser['newContext']>[0] = {}
): Promise<{ context: BrowserContext, page: Page, problems: PageProblems }> {
  const { context, problems } = await newWatchedContext(browser, options)
  t.teardown(() => context.close())
  const page = await context.newPage()
  await loginThroughForm(page, baseUrl, TEST_USER.username, TEST_USER.password)
  await page.locator('#status[data-state="connected"]').waitFor()
  return { context, page, problems }
}

/** Clears what was recorded so far (e.g. after an expected failure). */
export function clearProblems (problems: PageProblems): void {
  problems.consoleErrors.length = 0
  problems.pageErrors.length = 0
  problems.cspViolations.length = 0
}

/** Logs in through the real form; resolves on the hero page. */
export async function loginThroughForm (
  page: Page,
  baseUrl: string,
  username: string,
  password: string
): Promise<void> {
  await page.goto(`${baseUrl}/login`)
  await page.fill('#username', username)
  await page.fill('#password', password)
  await Promise.all([
    page.waitForURL(`${baseUrl}/`),
    page.click('button[type="submit"]')
  ])
}

/** Saves a screenshot to docs/screenshots/<name>.png: the whole page, or only the viewport. */
export async function saveScreenshot (page: Page, name: string, fullPage = true): Promise<string> {
  await fsp.mkdir(SCREENSHOTS_DIR, { recursive: true })
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`)
  await page.screenshot({ path: file, fullPage, animations: 'disabled', caret: 'hide' })
  return file
}

/**
 * Records every status the hero page shows from now on ("state: text"), in this process, so
 * the history survives the page navigating away.
 */
export async function recordStatuses (page: Page): Promise<string[]> {
  const seen: string[] = []
  await page.exposeFunction('__recordStatus', (text: string) => { seen.push(text) })
  await page.evaluate(() => {
    const status = document.getElementById('status') as HTMLElement
    const record = (window as unknown as { __recordStatus (text: string): void }).__recordStatus
    new MutationObserver(() => { record(`${status.dataset.state ?? ''}: ${status.textContent?.trim() ?? ''}`) })
      .observe(status, { attributes: true, childList: true, subtree: true, characterData: true })
  })
  return seen
}
