// The deployment of deploy/: Debian's nginx (TLS, round robin, WebSocket upgrade, X-Forwarded-For)
// in front of two real instances (TLS=off, TRUST_PROXY_HOPS=1, deploy/instance.env) and one
// Redis, driven through nginx by Chromium: log in, ask for heroes, a second tab whose socket is
// on the other instance, a logout in one tab that the other sees, then one instance stopped and
// the page carrying on through the other.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { Page } from 'playwright-core'
import { FileUsersStore } from '../../src/accounts/file-users-store.js'
import { launchBrowser, loginThroughForm, newWatchedContext } from '../helpers/browser.js'
import { waitUntil } from '../helpers/hero-client.js'
import { instanceEnv, Nginx } from '../helpers/nginx.js'
import { freePort, RedisServer } from '../helpers/redis-server.js'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js'
import { hashFor, TEST_USER } from '../helpers/test-server.js'

/** Sockets opened on an instance so far (its ws_open log lines). */
function opened (instance: ServerProcess): number {
  return instance.stdout().split('\n').filter((line) => line.includes('"event":"ws_open"')).length
}

/** Which instance took the socket `action` opens: the one whose ws_open count went up. */
async function instanceOf (instances: readonly ServerProcess[], action: () => Promise<void>): Promise<number> {
  const before = instances.map(opened)
  await action()
  await waitUntil(() => instances.some((instance, i) => opened(instance) > (before[i] ?? 0)), 'a socket to open on some instance')
  return instances.findIndex((instance, i) => opened(instance) > (before[i] ?? 0))
}

async function connected (page: Page): Promise<void> {
  await page.locator('#status[data-state="connected"]').waitFor()
}

async function ask (page: Page, hero: string, realName: string): Promise<boolean> {
  await page.click(`#heroes button[data-hero="${hero}"]`)
  return await page.locator(`#answers li[data-hero="${hero}"][data-state="done"] .answer-name`).last().textContent() === realName
}

t.test('two instances behind nginx on one Redis, seen from Chromium', async (t) => {
  const redis = await RedisServer.start(t)
  const dir = t.testdir({})
  const usersFile = path.join(dir, 'users.json')
  await FileUsersStore.create(usersFile, [{ username: TEST_USER.username, hash: await hashFor(TEST_USER.password) }])
  const [nginxPort, port1, port2] = [await freePort(), await freePort(), await freePort()]
  const origin = `https://127.0.0.1:${nginxPort}`
  const instances = await Promise.all([port1, port2].map(async (port, i) => await startServerProcess({
    ...instanceEnv(),
    PORT: String(port),
    ALLOWED_ORIGINS: origin,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: 'deployment-test:',
    USERS_FILE: usersFile,
    DATA_DIR: path.join(dir, `data-${i}`)
  }, t)))
  t.match(instances[0]?.stdout(), /TLS is OFF/, 'the instances run plain HTTP, and say so')
  const nginx = await Nginx.start(t, { port: nginxPort, upstreams: [port1, port2] })
  const browser = await launchBrowser(t)
  const { context, problems } = await newWatchedContext(browser)
  t.teardown(() => context.close())

  // Log in through nginx and ask for a hero.
  const first = await context.newPage()
  const firstOn = await instanceOf(instances, async () => {
    await loginThroughForm(first, nginx.url, TEST_USER.username, TEST_USER.password)
    await connected(first)
  })
  t.ok(await ask(first, 'ironMan', 'Tony Stark'), 'Iron Man is Tony Stark, through nginx')

  // A second tab, until round robin puts its socket on the other instance.
  const second = await context.newPage()
  let secondOn = await instanceOf(instances, async () => { await second.goto(`${nginx.url}/`); await connected(second) })
  for (let tries = 0; secondOn === firstOn && tries < 8; tries++) {
    secondOn = await instanceOf(instances, async () => { await second.reload(); await connected(second) })
  }
  t.not(secondOn, firstOn, `the tabs' sockets are on different instances (${firstOn + 1} and ${secondOn + 1})`)
  t.ok(await ask(second, 'hulk', 'Bruce Banner'), 'and both answer')

  // nginx replaces what a client claims in X-Forwarded-For with the address it saw.
  const spoofed = await fetch(`${nginx.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.9' },
    body: new URLSearchParams({ username: TEST_USER.username, password: 'not the password' }).toString()
  })
  t.equal(spoofed.status, 401)
  const failures = (): string[] => instances.flatMap((instance) => instance.stdout().split('\n')).filter((line) => line.includes('"event":"login_failed"'))
  await waitUntil(() => failures().length > 0, 'the failed login to be logged')
  t.equal(failures().length, 1)
  t.match(failures()[0], '"ip":"127.0.0.1"', 'the instance logs the address nginx saw, not the one the client claimed')

  // Log out in the first tab: the second, on the other instance, shows the end.
  await Promise.all([first.waitForURL(`${nginx.url}/login?notice=logged_out`), first.click('#logout-form button')])
  await second.locator('#status[data-state="ended"]').waitFor()
  await second.waitForURL(`${nginx.url}/login?notice=session_ended`)
  t.equal(await second.locator('#login-notice').textContent(), 'Your session has ended. Please log in again.', 'the other tab says the session ended')

  // Log in again, then stop the instance the page is on: it reconnects through the other one.
  const on = await instanceOf(instances, async () => {
    await loginThroughForm(first, nginx.url, TEST_USER.username, TEST_USER.password)
    await connected(first)
  })
  const stopping = instances[on]
  const other = instances[1 - on]
  if (stopping === undefined || other === undefined) return
  const before = opened(other)
  stopping.child.kill('SIGTERM')
  t.same(await stopping.exit, { code: 0, signal: null }, 'the stopped instance exits cleanly')
  await waitUntil(() => opened(other) > before, 'the page to reconnect to the other instance', 20_000)
  await connected(first)
  t.ok(await ask(first, 'blackPanther', "T'Challa"), 'and it keeps answering')
  t.same(problems.pageErrors, [], 'no page error')
  t.same(problems.cspViolations, [], 'no CSP violation')
  t.same(problems.consoleErrors.filter((e) => !/WebSocket connection to 'wss:\/\/127\.0\.0\.1:\d+\/ws' failed|status of 50[23]/.test(e)), [], 'no console error but the lost socket')
  t.ok(fs.existsSync(path.join(nginx.dir, 'access.log')))
})
