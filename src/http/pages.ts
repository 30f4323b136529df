// The HTML pages, read once from public/ at start-up. The login page and the change-password page
// have a marker where the server puts a notice (and the latter, its lead and the password rule);
// notices are fixed texts from the error registry, never client input. After a failed login the
// username typed is put back in its field (escaped), and the cursor goes to the password.
import fsp from 'node:fs/promises'
import path from 'node:path'
import { MAX_USERNAME_LENGTH, MIN_PASSWORD_LENGTH } from '../account-limits.js'
import { PACKAGE_ROOT } from '../config/package-root.js'

/** public/, found from the package root both in src/ (tests) and in dist/src/ (npm start). */
export const PUBLIC_DIR = path.join(PACKAGE_ROOT, 'public')

const NOTICE_MARKER = '<!-- notice -->'
const LEAD_MARKER = '<!-- lead -->'
const RULE_MARKER = '<!-- rule -->'
/** The two inputs as public/login.html writes them: the username is filled in after a failed login. */
const USERNAME_INPUT = /<input id="username" ([^>]*) autofocus>/
const PASSWORD_INPUT = /<input id="password" ([^>]*)>/

/** A notice on a page: `kind` error for refusals (role alert, announced at once), info otherwise (role status). */
export interface Notice { readonly text: string, readonly kind: 'error' | 'info' }

/** A notice on the login page. */
export interface LoginNotice extends Notice {
  /** Seconds until the next try (Retry-After): the page's script says at what time that is. */
  readonly retryAfterS?: number | undefined
}

/** What the change-password page says above its form. */
const PASSWORD_LEADS = {
  chosen: 'Enter your current password, then the new one twice.',
  issued: 'The password you were given works only until you choose your own: choose it now to continue.'
} as const

/** The rule shown under the new password's field. */
const PASSWORD_HINT = `At least ${MIN_PASSWORD_LENGTH} characters, any you like (spaces too); not a common ` +
  'password, your username or the name of this service or its heroes.'

export interface Pages {
  /**
   * The login page, with an optional notice (`kind` error for failures, info otherwise) and the
   * username the person typed (kept when it fits MAX_USERNAME_LENGTH).
   */
  login (notice?: LoginNotice, username?: string): string
  /** The hero page shell (the client script fills it in). */
  readonly heroes: string
  /** The change-password page: `issued` when the account holds a one-time password, with an optional notice. */
  password (options: { issued: boolean, notice?: Notice }): string
}

/** Reads the page templates; fails at start-up if one is missing or lacks its marker. */
export async function loadPages (): Promise<Pages> {
  const login = await fsp.readFile(path.join(PUBLIC_DIR, 'login.html'), 'utf8')
  const heroes = await fsp.readFile(path.join(PUBLIC_DIR, 'index.html'), 'utf8')
  const password = await fsp.readFile(path.join(PUBLIC_DIR, 'password.html'), 'utf8')
  if (!login.includes(NOTICE_MARKER)) throw new Error(`public/login.html lacks ${NOTICE_MARKER}`)
  if (!USERNAME_INPUT.test(login) || !PASSWORD_INPUT.test(login)) {
    throw new Error('public/login.html lacks the username input (with autofocus) or the password input')
  }
  for (const marker of [NOTICE_MARKER, LEAD_MARKER, RULE_MARKER]) {
    if (!password.includes(marker)) throw new Error(`public/password.html lacks ${marker}`)
  }
  const passwordPage = password.replace(RULE_MARKER, escapeHtml(PASSWORD_HINT))
  return {
    login (notice, username) {
      if (notice === undefined) return login
      return withUsername(login, username).replace(NOTICE_MARKER, noticeHtml(notice, 'login-notice'))
    },
    heroes,
    password ({ issued, notice }) {
      const lead = `<p class="lead" id="password-lead">${escapeHtml(PASSWORD_LEADS[issued ? 'issued' : 'chosen'])}</p>`
      return passwordPage.replace(LEAD_MARKER, lead)
        .replace(NOTICE_MARKER, notice === undefined ? '' : noticeHtml(notice, 'password-notice'))
    }
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

function noticeHtml (notice: LoginNotice, id: string): string {
  const role = notice.kind === 'error' ? 'alert' : 'status'
  return `<p class="notice notice-${notice.kind}" role="${role}" id="${id}"${retryAttribute(notice)}>` +
    `${escapeHtml(notice.text)}</p>`
}

/** The notice's wait for the page's script, as a whole number of seconds. */
function retryAttribute (notice: LoginNotice): string {
  const s = notice.retryAfterS
  return s === undefined || !Number.isInteger(s) ? '' : ` data-retry-after="${s}"`
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
