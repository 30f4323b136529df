// Cross-site attacks, tried from inside Chromium with a page on another origin (same host,
// another port, so the browser does send the user's SameSite=Strict cookie). It opens
// wss://<our server>/ws: the gate refuses it on Origin, the page sees a failed connection (close
// 1006, never open) and receives nothing, and the server accepted nothing. It posts logins and
// loads our assets in a loop: each is refused before the visitor's budgets, so the visitor then
// logs in and uses the hero page as if nothing had happened.
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { connectedPage, launchBrowser, loginThroughForm, newWatchedContext } from '../helpers/browser.js'
import { startTestServer, TEST_USER, testCredentials } from '../helpers/test-server.js'

/** A page on another site that tries our socket with the user's cookie. */
function hijackingPage (target: string): string {
  return `<!doctype html><meta charset="utf-8"><title>another site</title>
<script>
  window.result = { opened: false, messages: [], closeCode: null, done: false }
  const ws = new WebSocket(${JSON.stringify(target)})
  ws.onopen = () => { window.result.opened = true }
  ws.onmessage = (event) => { window.result.messages.push(String(event.data)) }
  ws.onclose = (event) => { window.result.closeCode = event.code; window.result.done = true }
</script>`
}

/** A tiny https server on another port serving `page`. */
async function startOtherOrigin (t: Test, page: string): Promise<string> {
  const { cert, key } = await testCredentials()
  const server = https.createServer({ cert, key }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('a page from another origin cannot use the user\'s session on the socket', async (t) => {
  const server = await startTestServer(t)
  const browser = await launchBrowser(t)
  const { context, problems } = await connectedPage(t, browser, server.url)
  t.equal(await server.app.services.userSlots.count('alice'), 1, 'the user\'s own tab is connected')

  // Watch the handshakes the browser makes, to show the cookie did travel with the attack.
  const handshakes: Array<{ origin?: string, hasSession: boolean }> = []
  server.app.server.on('upgrade', (req) => {
    handshakes.push({ origin: req.headers.origin, hasSession: /(^|;\s*)__Host-sid=/.test(req.headers.cookie ?? '') })
  })

  const other = await startOtherOrigin(t, hijackingPage(`wss://127.0.0.1:${server.port}/ws`))
  const attacker = await context.newPage()
  await attacker.goto(other)
  await attacker.waitForFunction(() => (window as unknown as { result: { done: boolean } }).result.done)
  const result = await attacker.evaluate(() => (window as unknown as { result: unknown }).result)
  t.same(
    result,
    { opened: false, messages: [], closeCode: 1006, done: true },
    'closed with 1006 before any open; no user_authorized'
  )

  t.same(
    handshakes,
    [{ origin: other, hasSession: true }],
    'the browser sent the session cookie with the foreign Origin'
  )
  t.same(
    server.logs.entries().filter((e) => e.event === 'ws_rejected').map((e) => [e.reason, e.status]),
    [['origin_forbidden', 403]],
    'refused as origin_forbidden (403)'
  )
  t.equal(await server.app.services.userSlots.count('alice'), 1, 'still only the user\'s own socket')
  t.equal(server.app.websocket.stats.snapshot().accepted, 1, 'the gate accepted only the user\'s own socket')

  t.same(problems.consoleErrors.filter((e) => !e.startsWith(other)), [], 'the user\'s own pages logged no error')
  t.ok(
    problems.consoleErrors.some((e) => e.startsWith(other) && /WebSocket connection to .* failed/.test(e)),
    'the other page saw a failed connection'
  )
  t.same(problems.pageErrors, [])
  t.same(problems.cspViolations, [])
})

/** A page on another site that makes its visitor post logins and load our assets, over and over. */
function lockoutPage (target: string, rounds: number): string {
  return `<!doctype html><meta charset="utf-8"><title>another site</title>
<iframe name="sink" hidden></iframe>
<form id="csrf" method="post" action="${target}/login" target="sink">
<input name="username" value="alice"><input name="password" value="guess"></form>
<script>
  const target = ${JSON.stringify(target)}
  const framed = () => new Promise((resolve) => {
    document.querySelector('iframe').onload = resolve
    document.querySelector('#csrf').submit()
  })
  const image = (i) => new Promise((resolve) => {
    const img = new Image()
    img.onload = img.onerror = resolve
    img.src = target + '/assets/favicon.svg?' + i
  })
  window.done = (async () => {
    for (let i = 0; i < ${rounds}; i++) {
      await fetch(target + '/login', {
        method: 'POST',
        mode: 'no-cors',
        credentials: 'include',
        body: new URLSearchParams({ username: 'alice', password: 'guess' + i })
      }).catch(() => {})
      await image(i)
      if (i % 4 === 0) await framed()
    }
    return true
  })()
</script>`
}

t.test('a page elsewhere posting logins in a loop does not lock its visitor out', async (t) => {
  const rounds = 40
  // The visitor's own budgets are far below what the other page sends.
  const server = await startTestServer(t, { RATE_LIMIT_MAX: '30', LOGIN_RATE_IP_MAX: '3', LOGIN_RATE_USER_MAX: '3' })
  const browser = await launchBrowser(t)
  const { context, problems } = await newWatchedContext(browser)
  t.teardown(() => context.close())
  const other = await startOtherOrigin(t, lockoutPage(server.url, rounds))
  const attacker = await context.newPage()
  await attacker.goto(other)
  t.equal(
    await attacker.evaluate(async () => await (window as unknown as { done: Promise<boolean> }).done),
    true,
    'the other page sent its requests'
  )
  const refused = server.logs.entries().filter((e) => e.code === 'cross_site_request')
  t.ok(refused.length >= 2 * rounds + rounds / 4, `${refused.length} cross-site requests refused (403)`)
  t.same(
    server.logs.entries().filter((e) => e.code === 'rate_limited'),
    [],
    'none of them spent the visitor\'s budgets'
  )
  t.notOk(server.logs.text.includes('login_failed'), 'no password was checked')

  const page = await context.newPage()
  await loginThroughForm(page, server.url, TEST_USER.username, TEST_USER.password)
  await page.locator('#status[data-state="connected"]').waitFor()
  t.pass('then the visitor logs in and the hero page connects')
  await page.reload()
  await page.locator('#status[data-state="connected"]').waitFor()
  t.pass('and reloads it')
  t.same(problems.consoleErrors.filter((e) => !e.startsWith(other)), [], 'the visitor\'s own pages logged no error')
})
