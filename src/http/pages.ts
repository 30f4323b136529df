// The HTML pages, read once from public/ at start-up. The login page has one marker where the
// server puts a notice; notices are fixed texts from the error registry, never client input.
import fsp from 'node:fs/promises'
import path from 'node:path'
import { PACKAGE_ROOT } from '../config/package-root.js'

/** public/, found from the package root both in src/ (tests) and in dist/src/ (npm start). */
export const PUBLIC_DIR = path.join(PACKAGE_ROOT, 'public')

const NOTICE_MARKER = '<!-- notice -->'

export interface Pages {
  /** The login page, with an optional notice (`kind` error for failures, info otherwise). */
  login (notice?: { text: string, kind: 'error' | 'info' }): string
  /** The hero page shell (the client script fills it in). */
  readonly heroes: string
}

/** Reads the page templates; fails at start-up if one is missing or lacks its marker. */
export async function loadPages (): Promise<Pages> {
  const login = await fsp.readFile(path.join(PUBLIC_DIR, 'login.html'), 'utf8')
  const heroes = await fsp.readFile(path.join(PUBLIC_DIR, 'index.html'), 'utf8')
  if (!login.includes(NOTICE_MARKER)) throw new Error(`public/login.html lacks ${NOTICE_MARKER}`)
  return {
    login (notice) {
      if (notice === undefined) return login
      const role = notice.kind === 'error' ? 'alert' : 'status'
      return login.replace(
        NOTICE_MARKER,
        `<p class="notice notice-${notice.kind}" role="${role}" id="login-notice">${escapeHtml(notice.text)}</p>`
      )
    },
    heroes
  }
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
