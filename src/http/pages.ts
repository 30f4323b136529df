// The HTML pages, read once from public/ at start-up. The login page has one marker where the
// server puts a notice; notices are fixed texts from the error registry, never client input. After
// a failed login the username typed is put back in its field (escaped), and the cursor goes to the
// password.
import fsp from 'node:fs/promises'
import path from 'node:path'
import { MAX_USERNAME_LENGTH } from '../account-limits.js'
import { PACKAGE_ROOT } from '../config/package-root.js'

/** public/, found from the package root both in src/ (tests) and in dist/src/ (npm start). */
export const PUBLIC_DIR = path.join(PACKAGE_ROOT, 'public')

const NOTICE_MARKER = '<!-- notice -->'
/** The two inputs as public/login.html writes them: the username is filled in after a failed login. */
const USERNAME_INPUT = /<input id="username" ([^>]*) autofocus>/
const PASSWORD_INPUT = /<input id="password" ([^>]*)>/

/** A notice on the login page. */
export interface LoginNotice {
  readonly text: string
  /** `error` for failures (announced at once), `info` otherwise. */
  readonly kind: 'error' | 'info'
  /** Seconds until the next try (Retry-After): the page's script says at what time that is. */
  readonly retryAfterS?: number | undefined
}

export interface Pages {
  /**
   * The login page, with an optional notice (`kind` error for failures, info otherwise) and the
   * username the person typed (kept when it fits MAX_USERNAME_LENGTH).
   */
  login (notice?: LoginNotice, username?: string): string
  /** The hero page shell (the client script fills it in). */
  readonly heroes: string
}

/** Reads the page templates; fails at start-up if one is missing or lacks its marker. */
export async function loadPages (): Promise<Pages> {
  const login = await fsp.readFile(path.join(PUBLIC_DIR, 'login.html'), 'utf8')
  const heroes = await fsp.readFile(path.join(PUBLIC_DIR, 'index.html'), 'utf8')
  if (!login.includes(NOTICE_MARKER)) throw new Error(`public/login.html lacks ${NOTICE_MARKER}`)
  if (!USERNAME_INPUT.test(login) || !PASSWORD_INPUT.test(login)) {
    throw new Error('public/login.html lacks the username input (with autofocus) or the password input')
  }
  return {
    login (notice, username) {
      if (notice === undefined) return login
      const role = notice.kind === 'error' ? 'alert' : 'status'
      return withUsername(login, username).replace(
        NOTICE_MARKER,
        `<p class="notice notice-${notice.kind}" role="${role}" id="login-notice"${retryAttribute(notice)}>` +
          `${escapeHtml(notice.text)}</p>`
      )
    },
    heroes
  }
}

/** The page with `username` in its field and the cursor in the password field. */
function withUsername (page: string, username: string | undefined): string {
  if (username === undefined || username === '' || username.length > MAX_USERNAME_LENGTH) return page
  return page
    .replace(USERNAME_INPUT, (_all, attributes: string) =>
      `<input id="username" ${attributes} value="${escapeHtml(username)}">`)
    .replace(PASSWORD_INPUT, (_all, attributes: string) => `<input id="password" ${attributes} autofocus>`)
}

/** The notice's wait for the page's script, as a whole number of seconds. */
function retryAttribute (notice: LoginNotice): string {
  const s = notice.retryAfterS
  return s === undefined || !Number.isInteger(s) ? '' : ` data-retry-after="${s}"`
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
