// What a page on another site can make its visitor's browser send us, as the browser sends it
// (Origin and Fetch Metadata as Chromium writes them), and what the visitor's own pages send: for
// the tests that another site's requests cost the visitor nothing (one instance, and several).
import { postLoginBody, requestFrom, type AnswerFrom, type RequestFromOptions } from './http.js'
import { TEST_USER, type TestServer } from './test-server.js'

/** The other site. */
export const EVIL_ORIGIN = 'https://evil.example'

const FORM = 'application/x-www-form-urlencoded'
const crossSite = (mode: string, dest: string): Record<string, string> => ({
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': mode,
  'sec-fetch-dest': dest
})

/** Each kind of request another site's page makes its visitor send, by what it is. */
export const CROSS_SITE_REQUESTS: ReadonlyArray<readonly [string, RequestFromOptions]> = [
  [
    'a form posted to /login',
    {
      method: 'POST',
      path: '/login',
      headers: { origin: EVIL_ORIGIN, 'content-type': FORM, ...crossSite('navigate', 'document') },
      body: postLoginBody(TEST_USER.username, 'guess')
    }
  ],
  [
    'a form posted to /logout',
    {
      method: 'POST',
      path: '/logout',
      headers: { origin: EVIL_ORIGIN, 'content-type': FORM, ...crossSite('navigate', 'document') },
      body: ''
    }
  ],
  [
    'a no-cors fetch posting a login',
    {
      method: 'POST',
      path: '/login',
      headers: { origin: EVIL_ORIGIN, 'content-type': FORM, ...crossSite('no-cors', 'empty') },
      body: postLoginBody(TEST_USER.username, 'guess')
    }
  ],
  ['a fetch of the hero page', { path: '/', headers: { origin: EVIL_ORIGIN, ...crossSite('cors', 'empty') } }],
  ['an image from our assets', { path: '/assets/favicon.svg', headers: crossSite('no-cors', 'image') }],
  ['the login page in a frame', { path: '/login', headers: crossSite('navigate', 'iframe') }],
  ['a fetch from an older browser (Origin only)', { path: '/login', headers: { origin: EVIL_ORIGIN } }],
  [
    'a fetch from a sibling subdomain',
    {
      path: '/',
      headers: {
        origin: 'https://other.127.0.0.1.example',
        'sec-fetch-site': 'same-site',
        'sec-fetch-mode': 'cors',
        'sec-fetch-dest': 'empty'
      }
    }
  ]
]

/** What our own pages send: a navigation, and the login form posted from the login page. */
export function ownPage (path: string, cookie?: string): RequestFromOptions {
  return {
    path,
    headers: {
      ...(cookie === undefined ? {} : { cookie }),
      'sec-fetch-site': 'same-origin',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document'
    }
  }
}

/** The visitor logs in from the login page; resolves with the answer (303 and a cookie when it worked). */
export async function ownLogin (server: TestServer, from: string): Promise<AnswerFrom> {
  return await requestFrom(server, from, {
    method: 'POST',
    path: '/login',
    headers: {
      origin: server.origin,
      'content-type': FORM,
      'sec-fetch-site': 'same-origin',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document'
    },
    body: postLoginBody(TEST_USER.username, TEST_USER.password)
  })
}

/** The session cookie a login answer set (`__Host-sid=…`), for the next requests. */
export function cookieOf (answer: AnswerFrom): string {
  const cookie = answer.headers['set-cookie']?.[0]?.split(';')[0]
  if (cookie === undefined) throw new Error(`no cookie in a ${answer.status} answer`)
  return cookie
}
