// The pages: read once, the login page's notice escaped (never client input), and the login form
// bounded by the same account rules as the server (so a browser never sends what is refused).
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { MAX_PASSWORD_BYTES, MAX_USERNAME_LENGTH } from '../../src/accounts/account-rules.js'
import { loadPages, PUBLIC_DIR } from '../../src/http/pages.js'

t.test('the login form\'s field limits are the account rules\'', async (t) => {
  const html = fs.readFileSync(path.join(PUBLIC_DIR, 'login.html'), 'utf8')
  t.match(html, new RegExp(`<input id="username"[^>]* maxlength="${MAX_USERNAME_LENGTH}"`), 'username')
  t.match(html, new RegExp(`<input id="password"[^>]* maxlength="${MAX_PASSWORD_BYTES}"`), 'password')
})

t.test('a notice is escaped and placed once; no notice leaves the page as it is', async (t) => {
  const pages = await loadPages()
  const page = pages.login({ text: '<b>"x" & \'y\'</b>', kind: 'error' })
  t.match(
    page,
    '<p class="notice notice-error" role="alert" id="login-notice">&#60;b&#62;&#34;x&#34; &#38; ' +
      '&#39;y&#39;&#60;/b&#62;</p>'
  )
  t.notMatch(page, '<b>')
  t.match(pages.login({ text: 'ok', kind: 'info' }), 'role="status"')
  t.equal(pages.login(), fs.readFileSync(path.join(PUBLIC_DIR, 'login.html'), 'utf8'))
})

t.test('a failed login\'s page keeps the name typed (escaped) and carries the wait for the page\'s script',
  async (t) => {
    const pages = await loadPages()
    const page = pages.login({ text: 'no', kind: 'error', retryAfterS: 600 }, '"al&ice"')
    t.match(page, 'id="login-notice" data-retry-after="600">no</p>')
    t.match(page, /<input id="username" [^>]* value="&#34;al&#38;ice&#34;">/)
    t.match(page, /<input id="password" [^>]* autofocus>/, 'the cursor goes to the password')
    t.notMatch(page, /<input id="username" [^>]* autofocus/)
    t.notMatch(pages.login({ text: 'no', kind: 'error' }, 'x'.repeat(MAX_USERNAME_LENGTH + 1)), 'value=',
      'a name longer than any account\'s is not put back')
    t.notMatch(pages.login({ text: 'no', kind: 'error', retryAfterS: 1.5 }), 'data-retry-after')
  })
