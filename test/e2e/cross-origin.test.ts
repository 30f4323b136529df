// Cross-site WebSocket hijacking, tried from inside Chromium: a page on another origin (same
// host, another port, so the browser does send the user's SameSite=Strict cookie) opens
// wss://<our server>/ws. The gate refuses it on Origin: the page sees a failed connection
// (close 1006, never open) and receives nothing, and the server accepted nothing.
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { connectedPage, launchBrowser } from '../helpers/browser.js'
import { startTestServer, testCredentials } from '../helpers/test-server.js'

/** A tiny https server on another port whose page tries our socket with the user's cookie. */
async function startOtherOrigin (t: Test, target: string): Promise<string> {
  const { cert, key } = await testCredentials()
  const page = `<!doctype html><meta charset="utf-8"><title>another site</title>
<script>
  window.result = { opened: false, messages: [], closeCode: null, done: false }
  const ws = new WebSocket(${JSON.stringify(target)})
  ws.onopen = () => { window.result.opened = true }
  ws.onmessage = (event) => { window.result.messages.push(String(event.data)) }
  ws.onclose = (event) => { window.result.closeCode = event.code; window.result.done = true }
</script>`
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
  const { context, page, problems } = await connectedPage(t, browser, server.url)
  t.equal(await server.app.services.userSlots.count('alice'), 1, 'the user\'s own tab is connected')

  // Watch the handshakes the browser makes, to show the cookie did travel with the attack.
  const handshakes: Array<{ origin?: string, hasSession: boolean }> = []
  server.app.server.on('upgrade', (req) => {
    handshakes.push({ origin: req.headers.origin, hasSession: /(^|;\s*)__Host-sid=/.test(req.headers.cookie ?? '') })
  })

  const other = await startOtherOrigin(t, `wss://127.0.0.1:${server.port}/ws`)
  const attacker = await context.newPage()
  await attacker.goto(other)
  await attacker.waitForFunction(() => (window as unknown as { result: { done: boolean } }).result.done)
  const result = await attacker.evaluate(() => (window as unknown as { result: unknown }).result)
  t.same(result, { opened: false, messages: [], closeCode: 1006, done: true }, 'closed with 1006 before any open; no user_authorized')

  t.same(handshakes, [{ origin: other, hasSession: true }], 'the browser sent the session cookie with the foreign Origin')
  t.same(server.logs.entries().filter((e) => e.event === 'ws_rejected').map((e) => [e.reason, e.status]), [['origin_forbidden', 403]], 'refused as origin_forbidden (403)')
  t.equal(await server.app.services.userSlots.count('alice'), 1, 'still only the user\'s own socket')
  t.equal(server.app.websocket.stats.snapshot().accepted, 1, 'the gate accepted only the user\'s own socket')

  t.same(problems.consoleErrors.filter((e) => !e.startsWith(other)), [], 'the user\'s own pages logged no error')
  t.ok(problems.consoleErrors.some((e) => e.startsWith(other) && /WebSocket connection to .* failed/.test(e)), 'the other page saw a failed connection')
  t.same(problems.pageErrors, [])
  t.same(problems.cspViolations, [])
})
