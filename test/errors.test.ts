// The error registry: every code carries its text, reason or status, and is in docs/protocol.md
// (whose tables are generated from the registry: test/scripts/generate-docs.test.ts checks they
// are current); and the registry agrees with the schemas and with the protocols it speaks (HTTP
// statuses, close code ranges, lengths).
import fs from 'node:fs'
import { STATUS_CODES } from 'node:http'
import path from 'node:path'
import t from 'tap'
import { blockText } from '../scripts/docs/doc-block.js'
import {
  CLOSE_CODES,
  CONNECTION_DROPS,
  GATE_REJECTIONS,
  HTTP_ERRORS,
  HttpError,
  MESSAGE_ERRORS,
  waitInWords
} from '../src/errors.js'
import { SCHEMAS } from './helpers/hero-client.js'
import { ROOT } from './helpers/http.js'
import { tableRows } from './helpers/readme.js'

/** docs/protocol.md, generated from the registry. */
const protocolPage = fs.readFileSync(path.join(ROOT, 'docs', 'protocol.md'), 'utf8')

/** Every code a client or operator can meet, by registry. */
const CODES: Record<string, readonly string[]> = {
  HTTP_ERRORS: Object.keys(HTTP_ERRORS),
  GATE_REJECTIONS: Object.keys(GATE_REJECTIONS),
  MESSAGE_ERRORS: Object.keys(MESSAGE_ERRORS),
  CLOSE_CODES: Object.values(CLOSE_CODES).map(({ code }) => String(code))
}

t.test('every code is in docs/protocol.md, in backticks (the page is generated from the registry)', async (t) => {
  for (const [registry, codes] of Object.entries(CODES)) {
    for (const code of codes) t.ok(protocolPage.includes('`' + code + '`'), `${registry}: \`${code}\` is documented`)
  }
})

/** The rows of docs/protocol.md's generated table `name`. */
function generatedRows (name: string): string[][] {
  const text = blockText(protocolPage, name)
  if (text === undefined) throw new Error(`docs/protocol.md has no block ${name}`)
  return tableRows(text)
}

t.test('docs/protocol.md\'s tables and the registries hold the same codes, both ways', async (t) => {
  const http = generatedRows('http-errors').map(([status, code]) => [code, Number(status)])
  t.same(
    http.sort(),
    Object.entries(HTTP_ERRORS).map(([code, { status }]) => [code, status]).sort(),
    'HTTP errors: code and status'
  )
  const gate = generatedRows('handshake-refusals').map(([status, reason]) => [reason, Number(status)])
  t.same(
    gate.sort(),
    Object.entries(GATE_REJECTIONS).map(([reason, { status }]) => [reason, status]).sort(),
    'handshake refusals: reason and status'
  )
  const replies = generatedRows('message-errors').map(([code, , message]) => [code, message])
  t.same(replies.sort(), Object.entries(MESSAGE_ERRORS).sort(), 'error replies and their texts')
  const closes = generatedRows('close-codes').filter(([, reason]) => reason !== '').map(([code, reason]) => [
    Number(code),
    reason
  ])
  t.same(
    closes.sort(),
    Object.values(CLOSE_CODES).map(({ code, reason }) => [code, reason]).sort(),
    'close codes and reasons'
  )
  const drops = generatedRows('connection-drops').map(([reason]) => reason)
  t.same(drops.sort(), Object.keys(CONNECTION_DROPS).sort(), 'drop reasons')
})

t.test('every code carries what a person or an operator reads: a text, a reason, a status', async (t) => {
  for (const [code, { message }] of Object.entries(HTTP_ERRORS)) {
    t.ok(
      message.trim().length > 0,
    `HTTP ${code}: a message`
    )
  }
  for (const [code, text] of Object.entries(MESSAGE_ERRORS)) t.ok(text.trim().length > 0, `reply ${code}: a message`)
  for (const [reason, text] of Object.entries(CONNECTION_DROPS)) {
    t.ok(
      text.trim().length > 0,
    `drop ${reason}: what it means`
    )
  }
  for (const [name, { reason }] of Object.entries(CLOSE_CODES)) {
    t.match(
      reason,
      /^[a-z][a-z_]*$/,
    `close ${name}: a reason in snake_case`
    )
  }
  for (const [reason, { status }] of Object.entries(GATE_REJECTIONS)) {
    t.type(
      status,
      'number',
    `gate ${reason}: a status`
    )
  }
})

t.test('codes are snake_case, and every code names one thing within its registry', async (t) => {
  for (const [registry, codes] of Object.entries(CODES)) {
    t.equal(new Set(codes).size, codes.length, `${registry}: unique`)
    if (registry !== 'CLOSE_CODES') for (const code of codes) t.match(code, /^[a-z][a-z0-9_]*$/, `${registry}: ${code}`)
  }
})

t.test('HttpError carries its code, status, Retry-After and the registry text', async (t) => {
  const limited = new HttpError('rate_limited', { retryAfterS: 7 })
  t.match(
    limited,
    {
      code: 'rate_limited',
      statusCode: 429,
      retryAfterS: 7,
      message: `${HTTP_ERRORS.rate_limited.message} (Try again in 7 s.)`
    }
  )
  t.match(
    new HttpError('login_busy', { retryAfterS: 2 }),
    { statusCode: 503, retryAfterS: 2, message: HTTP_ERRORS.login_busy.message },
    'only rate_limited says the wait in words'
  )
  t.equal(
    new HttpError('login_attempts_limited', { retryAfterS: 61 }).message,
    `${HTTP_ERRORS.login_attempts_limited.message} Try again in 2 minutes.`,
    'the login limit says the wait as a sentence'
  )
  t.same(
    [1, 45, 60, 119, 900].map(waitInWords),
    ['1 second', '45 seconds', '1 minute', '2 minutes', '15 minutes']
  )
  t.match(
    new HttpError('login_form_invalid', { statusCode: 413 }),
    { code: 'login_form_invalid', statusCode: 413, retryAfterS: undefined }
  )
  t.ok(new HttpError('not_found') instanceof Error)
})

t.test('the registries are frozen', async (t) => {
  for (const registry of [HTTP_ERRORS, GATE_REJECTIONS, MESSAGE_ERRORS, CLOSE_CODES]) t.ok(Object.isFrozen(registry))
})

t.test('message error codes are exactly the codes schemas/error.json allows, with short texts', async (t) => {
  const schema = SCHEMAS.get('error')?.validate.schema as {
    properties: {
      code: { enum: string[] },
      message: { maxLength: number }
    }
  }
  t.same([...schema.properties.code.enum].sort(), Object.keys(MESSAGE_ERRORS).sort())
  for (const [code, text] of Object.entries(MESSAGE_ERRORS)) {
    t.ok(text.length > 0 && text.length <= schema.properties.message.maxLength, `${code}: text fits the schema`)
  }
})

t.test('gate refusals and HTTP errors use real 4xx/5xx statuses', async (t) => {
  for (const [reason, { status }] of [...Object.entries(GATE_REJECTIONS), ...Object.entries(HTTP_ERRORS)]) {
    t.ok(status >= 400 && status < 600 && STATUS_CODES[status] !== undefined, `${reason}: ${status}`)
  }
  t.equal(GATE_REJECTIONS.shutting_down.status, 503)
  t.equal(GATE_REJECTIONS.handshake_rate_limited.status, 429)
})

t.test('close codes are valid to send (RFC 6455 7.4) and unique; reasons fit a close frame', async (t) => {
  const codes = Object.values(CLOSE_CODES).map(({ code }) => code)
  t.equal(new Set(codes).size, codes.length, 'unique')
  for (const [name, { code, reason }] of Object.entries(CLOSE_CODES)) {
    const sendable = (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) ||
      (code >= 3000 && code <= 4999)
    t.ok(sendable, `${name}: ${code} may be sent in a close frame`)
    t.ok(Buffer.byteLength(reason) <= 123, `${name}: reason fits in 123 bytes`)
  }
})
