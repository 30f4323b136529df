// The error registry: the registry and the README's tables list the same codes, with the same
// statuses and close codes, both ways; and the registry agrees with the schemas and with the
// protocols it speaks (HTTP statuses, close code ranges, lengths).
import { STATUS_CODES } from 'node:http'
import t from 'tap'
import { CLOSE_CODES, CONNECTION_DROPS, GATE_REJECTIONS, HTTP_ERRORS, HttpError, MESSAGE_ERRORS } from '../src/errors.js'
import { SCHEMAS } from './helpers/hero-client.js'
import { README as readme, readmeTable } from './helpers/readme.js'

/** Every code a client or operator can meet, by registry. */
const CODES: Record<string, readonly string[]> = {
  HTTP_ERRORS: Object.keys(HTTP_ERRORS),
  GATE_REJECTIONS: Object.keys(GATE_REJECTIONS),
  MESSAGE_ERRORS: Object.keys(MESSAGE_ERRORS),
  CLOSE_CODES: Object.values(CLOSE_CODES).map(({ code }) => String(code))
}

t.test('every code is in the README, in backticks', async (t) => {
  for (const [registry, codes] of Object.entries(CODES)) {
    for (const code of codes) t.ok(readme.includes('`' + code + '`'), `${registry}: \`${code}\` is documented`)
  }
})

t.test('the README tables and the registries hold the same codes, both ways', async (t) => {
  const http = readmeTable('### HTTP errors').map(([status, code]) => [code, Number(status)])
  t.same(http.sort(), Object.entries(HTTP_ERRORS).map(([code, { status }]) => [code, status]).sort(), 'HTTP errors: code and status')
  const gate = readmeTable('### Handshake refusals (HTTP, before any WebSocket exists)').map(([status, reason]) => [reason, Number(status)])
  t.same(gate.sort(), Object.entries(GATE_REJECTIONS).map(([reason, { status }]) => [reason, status]).sort(), 'handshake refusals: reason and status')
  const replies = readmeTable('### Error codes (replies; the socket stays open)').map(([code]) => code)
  t.same(replies.sort(), Object.keys(MESSAGE_ERRORS).sort(), 'error replies')
  const closes = readmeTable('### Close codes').filter(([, reason]) => reason !== '').map(([code, reason]) => [Number(code), reason])
  t.same(closes.sort(), Object.values(CLOSE_CODES).map(({ code, reason }) => [code, reason]).sort(), 'close codes and reasons')
  const drops = readmeTable('### Sockets dropped without a close frame').map(([reason]) => reason)
  t.same(drops.sort(), Object.keys(CONNECTION_DROPS).sort(), 'drop reasons')
})

t.test('HttpError carries its code, status, Retry-After and the registry text', async (t) => {
  const limited = new HttpError('rate_limited', { retryAfterS: 7 })
  t.match(limited, { code: 'rate_limited', statusCode: 429, retryAfterS: 7, message: `${HTTP_ERRORS.rate_limited.message} (Try again in 7 s.)` })
  t.match(new HttpError('login_busy', { retryAfterS: 2 }), { statusCode: 503, retryAfterS: 2, message: HTTP_ERRORS.login_busy.message }, 'only rate_limited says the wait in words')
  t.match(new HttpError('login_form_invalid', { statusCode: 413 }), { code: 'login_form_invalid', statusCode: 413, retryAfterS: undefined })
  t.ok(new HttpError('not_found') instanceof Error)
})

t.test('the registries are frozen', async (t) => {
  for (const registry of [HTTP_ERRORS, GATE_REJECTIONS, MESSAGE_ERRORS, CLOSE_CODES]) t.ok(Object.isFrozen(registry))
})

t.test('message error codes are exactly the codes schemas/error.json allows, with short texts', async (t) => {
  const schema = SCHEMAS.get('error')?.validate.schema as { properties: { code: { enum: string[] }, message: { maxLength: number } } }
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
    const sendable = (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999)
    t.ok(sendable, `${name}: ${code} may be sent in a close frame`)
    t.ok(Buffer.byteLength(reason) <= 123, `${name}: reason fits in 123 bytes`)
  }
})
