// Close codes for bad input on an open socket: 1003 for binary, 1009 over MAX_PAYLOAD, 1008 after
// MAX_INVALID_MESSAGES invalid messages or MAX_RATE_LIMITED_MESSAGES sent during a told wait, and ws's own
// protocol codes (1002, 1007) for broken frames sent by hand; 1011 when the server itself fails on
// a socket, which never reaches the process. Each closed socket is forgotten.
import t, { type Test } from 'tap'
import { CLOSE_CODES } from '../../src/errors.js'
import { HeroClient, waitUntil } from '../helpers/hero-client.js'
import { closePayload, encodeFrame, OPCODE } from '../helpers/raw-frames.js'
import { RawWebSocket } from '../helpers/raw-ws.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

/**
 * Waits until the server forgot every socket, and checks the close was logged: with `code`, or
 * (when ws itself failed the connection and so never read the peer's close frame) at all.
 */
async function assertForgotten (t: Test, server: TestServer, code?: number): Promise<void> {
  await waitUntil(() => server.app.websocket.connections.size === 0, 'the server to forget the socket')
  const closes = server.logs.entries().filter((e) => e.event === 'ws_close').map((e) => e.code)
  if (code === undefined) t.equal(closes.length, 1, `ws_close logged (${closes.join(', ')})`)
  else t.ok(closes.includes(code), `ws_close ${code} logged (${closes.join(', ')})`)
}

t.test('1003 on a binary frame', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  client.ws.send(Buffer.from('{"type":"get_name","hero":"hulk"}'))
  t.same(await client.closed(), { code: CLOSE_CODES.unsupported_data.code, reason: 'binary_not_supported' })
  t.equal(client.messages.length, 1, 'no answer to the binary frame')
  await assertForgotten(t, server, 1003)
  t.ok(server.logs.text.includes('ws_binary_refused'))

  const raw = await RawWebSocket.open(server, sid)
  await raw.next()
  raw.send(OPCODE.binary, Buffer.alloc(0))
  t.same(await raw.nextClose(), { code: 1003, reason: 'binary_not_supported' }, 'an empty binary frame too (raw)')
  raw.destroy()
})

t.test('1009 on a message over MAX_PAYLOAD; exactly MAX_PAYLOAD is fine', async (t) => {
  const server = await startTestServer(t, { MAX_PAYLOAD: '1024' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  const exact = '{"type":"get_name","id":1,"hero":"hulk"}'.padEnd(1024, ' ')
  t.equal(Buffer.byteLength(exact), 1024)
  t.match(await client.request(exact), { type: 'name', id: 1 }, 'a message of exactly MAX_PAYLOAD bytes is answered')
  client.send('{"type":"get_name","id":2,"hero":"hulk"}'.padEnd(1025, ' '))
  t.equal((await client.closed()).code, 1009)
  t.equal(client.messages.length, 2, 'no answer to the oversized message')
  await assertForgotten(t, server)
  t.ok(
    server.logs.entries().some((e) => e.event === 'ws_error' && e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'),
    'the reason is logged as ws_error'
  )

  // A frame that only announces its size is refused before its payload arrives.
  const raw = await RawWebSocket.open(server, sid)
  await raw.next()
  raw.client.write(encodeFrame(OPCODE.text, Buffer.alloc(16), { declaredLength: 1_000_000 }).subarray(0, 12))
  t.equal((await raw.nextClose()).code, 1009, 'a header announcing 1 MB: 1009 at once')
  raw.destroy()

  // Fragments add up: two fragments of 600 bytes are one message of 1200.
  const fragmented = await RawWebSocket.open(server, sid)
  await fragmented.next()
  fragmented.send(OPCODE.text, ' '.repeat(600), { fin: false })
  fragmented.send(OPCODE.continuation, ' '.repeat(600))
  t.equal((await fragmented.nextClose()).code, 1009, 'fragments over MAX_PAYLOAD together: 1009')
  fragmented.destroy()
})

t.test('1008 after more than MAX_INVALID_MESSAGES invalid messages in ABUSE_WINDOW_S, ' +
  'good ones in between or not', async (t) => {
  const server = await startTestServer(t, { MAX_INVALID_MESSAGES: '3', ABUSE_WINDOW_S: '60' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  t.match(await client.request('nope'), { code: 'invalid_json' }, 'invalid 1')
  t.match(await client.request({ type: 'what' }), { code: 'unknown_type' }, 'invalid 2')
  t.match(
    await client.request({ type: 'get_name', hero: 'hulk' }),
    { type: 'name' },
    'a valid message does not start the count afresh'
  )
  t.match(
    await client.request({ type: 'get_name', hero: 'superman' }),
    { code: 'unknown_hero' },
    'an unknown hero is a valid message'
  )
  t.match(await client.request({ type: 'get_name' }), { code: 'invalid_message' }, 'invalid 3')
  client.send('still nope')
  t.same(await client.closed(), { code: 1008, reason: 'policy_violation' }, 'invalid 4 within the window: closed')
  t.equal(client.messages.length, 6, 'no reply to the fourth')
  await assertForgotten(t, server, 1008)
  t.ok(server.logs.text.includes('ws_invalid_abuse'))
  t.notOk(server.logs.text.includes('still nope'), 'the message itself is not logged')
})

t.test('the invalid count refills over the window: ' +
  'a long-lived client with a mistake now and then is never closed', async (t) => {
  const server = await startTestServer(t, { MAX_INVALID_MESSAGES: '3', ABUSE_WINDOW_S: '60' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  for (let minute = 1; minute <= 10; minute++) {
    for (let i = 1; i <= 3; i++) {
      t.match(
        await client.request('nope'),
        { code: 'invalid_json' },
        `minute ${minute}: mistake ${i}`
      )
    }
    server.clock.advance(60_000)
  }
  t.match(
    await client.request({ type: 'get_name', hero: 'hulk' }),
    { type: 'name' },
    '30 mistakes in 10 minutes, 3 a minute: still served'
  )
})

t.test('1008 after more than MAX_RATE_LIMITED_MESSAGES messages sent during the wait they were told', async (t) => {
  const server = await startTestServer(t, { MESSAGE_BURST: '2', MESSAGE_RATE: '1', MAX_RATE_LIMITED_MESSAGES: '3' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  const ask = { type: 'get_name', hero: 'hulk' }
  t.match(await client.request(ask), { type: 'name' })
  t.match(await client.request(ask), { type: 'name' })
  t.match(
    await client.request(ask),
    { code: 'rate_limited', retryAfterMs: 1000 },
    'past the bucket: told to wait 1000 ms (not abuse)'
  )
  // The test clock stands still: everything below arrives during that wait.
  for (let i = 1; i <= 3; i++) {
    t.match(
      await client.request(ask),
      { code: 'rate_limited', retryAfterMs: 1000 },
      `during the wait ${i}: abuse, told again`
    )
  }
  client.send(ask)
  t.same(await client.closed(), { code: 1008, reason: 'policy_violation' }, 'during the wait 4: closed')
  await assertForgotten(t, server, 1008)
  t.ok(server.logs.text.includes('ws_rate_abuse'))
})

t.test('interleaving good messages with floods still meets 1008; slowing down is never punished', async (t) => {
  const server = await startTestServer(t, {
    MESSAGE_BURST: '1',
    MESSAGE_RATE: '1',
    MAX_RATE_LIMITED_MESSAGES: '2',
    ABUSE_WINDOW_S: '60'
  })
  const sid = await server.login()
  const ask = { type: 'get_name', hero: 'hulk' }
  const flooder = await HeroClient.open(t, server, sid)
  await flooder.next()
  for (let round = 1; round <= 2; round++) {
    t.match(await flooder.request(ask), { type: 'name' }, `round ${round}: one answered`)
    t.match(
      await flooder.request(ask),
      { code: 'rate_limited', retryAfterMs: 1000 },
      `round ${round}: one too many, told to wait`
    )
    t.match(await flooder.request(ask), { code: 'rate_limited' }, `round ${round}: one more during the wait`)
    server.clock.advance(1000)
  }
  t.match(await flooder.request(ask), { type: 'name' }, 'round 3: answered')
  t.match(await flooder.request(ask), { code: 'rate_limited' }, 'round 3: told to wait')
  flooder.send(ask)
  t.same(
    await flooder.closed(),
    { code: 1008, reason: 'policy_violation' },
    'the third message in a minute sent during a told wait closes it, good messages in between or not'
  )

  const patient = await HeroClient.open(t, server, sid)
  await patient.next()
  for (let round = 1; round <= 10; round++) {
    t.match(await patient.request(ask), { type: 'name' }, `round ${round}: answered`)
    t.match(await patient.request(ask), { code: 'rate_limited' }, `round ${round}: told to wait`)
    t.match(await patient.request(ask), { code: 'rate_limited' }, `round ${round}: one during the wait`)
    server.clock.advance(30_000)
  }
  t.equal(
    patient.ws.readyState,
    patient.ws.OPEN,
    'one message during a told wait every 30 s (the budget refills at 2 a minute): never closed'
  )
})

t.test('broken frames sent by hand: ws closes with its protocol codes, and nothing is answered', async (t) => {
  const server = await startTestServer(t, { WS_HANDSHAKE_BURST: '100' })
  const sid = await server.login()
  const cases: Array<{ name: string, frame: Buffer, code: number }> = [
    {
      name: 'unmasked text frame',
      frame: encodeFrame(OPCODE.text, '{"type":"get_name","hero":"hulk"}', { mask: false }),
      code: 1002
    },
    { name: 'reserved opcode 0x3', frame: encodeFrame(0x3, 'x'), code: 1002 },
    { name: 'reserved control opcode 0xB', frame: encodeFrame(0xb, 'x'), code: 1002 },
    { name: 'RSV1 without an extension', frame: encodeFrame(OPCODE.text, 'x', { rsv: 4 }), code: 1002 },
    { name: 'continuation with nothing to continue', frame: encodeFrame(OPCODE.continuation, 'x'), code: 1002 },
    { name: 'fragmented ping', frame: encodeFrame(OPCODE.ping, 'x', { fin: false }), code: 1002 },
    { name: 'ping over 125 bytes', frame: encodeFrame(OPCODE.ping, Buffer.alloc(126)), code: 1002 },
    {
      name: 'invalid UTF-8 in a text frame',
      frame: encodeFrame(OPCODE.text, Buffer.from([0x22, 0xc3, 0x28, 0x22])),
      code: 1007
    },
    { name: 'a lone surrogate in UTF-8', frame: encodeFrame(OPCODE.text, Buffer.from([0xed, 0xa0, 0x80])), code: 1007 },
    { name: 'close frame with invalid code 999', frame: encodeFrame(OPCODE.close, closePayload(999)), code: 1002 },
    { name: 'close frame with a 1-byte payload', frame: encodeFrame(OPCODE.close, Buffer.from([3])), code: 1002 },
    {
      name: 'close reason in invalid UTF-8',
      frame: encodeFrame(OPCODE.close, Buffer.concat([closePayload(1000), Buffer.from([0xff])])),
      code: 1007
    }
  ]
  for (const { name, frame, code } of cases) {
    const raw = await RawWebSocket.open(server, sid)
    await raw.next()
    raw.client.write(frame)
    t.equal((await raw.nextClose()).code, code, `${name}: ${code}`)
    t.notOk(
      raw.frames().some((f) => f.opcode === OPCODE.text && f.payload.includes('"type":"name"')),
      `${name}: no answer`
    )
    raw.destroy()
  }
  await waitUntil(() => server.app.websocket.connections.size === 0, 'every socket forgotten')
  t.equal(server.app.websocket.connections.size, 0)
})

t.test('a ping is answered with a pong carrying the same data; a close is answered with a close', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const raw = await RawWebSocket.open(server, sid)
  await raw.next()
  raw.send(OPCODE.ping, 'hello')
  const pong = await raw.next()
  t.same({ opcode: pong.opcode, data: pong.payload.toString() }, { opcode: OPCODE.pong, data: 'hello' })
  raw.send(OPCODE.close, closePayload(1000, 'bye'))
  t.equal((await raw.nextClose()).code, 1000, 'the close is echoed')
  await raw.client.waitClosed()
  t.ok(raw.client.endedByServer, 'and the server ends the connection')
})

t.test('with WS_PERMESSAGE_DEFLATE=on, ' +
  'a small compressed message that inflates past MAX_PAYLOAD gets 1009', async (t) => {
  const server = await startTestServer(t, { WS_PERMESSAGE_DEFLATE: 'on', MAX_PAYLOAD: '4096' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid, { perMessageDeflate: { threshold: 0 } })
  t.match(client.ws.extensions, /permessage-deflate/, 'deflate negotiated')
  t.match(await client.next(), { type: 'user_authorized' })
  t.match(
    await client.request({ type: 'get_name', hero: 'hulk' }),
    { type: 'name' },
    'compressed messages are answered'
  )
  const bomb = JSON.stringify({ type: 'get_name', hero: 'hulk', pad: ' '.repeat(1_000_000) })
  client.send(bomb)
  t.equal((await client.closed()).code, 1009, '1 MB inflated from a few KB: 1009')
  t.equal(client.messages.length, 2, 'no answer to the bomb')
  await assertForgotten(t, server)
})

t.test('1011 when the server fails on a socket: logged, that socket closed, ' +
  'the process and other sockets unharmed', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  const bystander = await HeroClient.open(t, server, await server.login())
  await bystander.next()
  const store = server.app.services.sessions
  const touch = store.touch.bind(store)
  // A store bug: touch throws instead of rejecting. The next message that touches the session meets it.
  store.touch = () => { throw new Error('a store bug') }
  server.clock.advance(60_000)
  client.send({ type: 'get_name', id: 1, hero: 'hulk' })
  t.same(await client.closed(), { code: CLOSE_CODES.internal_error.code, reason: 'internal_error' })
  store.touch = touch
  t.equal(client.messages.length, 1, 'no answer to the message it failed on')
  t.match(
    server.logs.entries().find((e) => e.event === 'ws_internal_error'),
    { level: 50, err: { message: 'a store bug' } },
    'logged as an error'
  )
  await waitUntil(() => server.app.websocket.connections.size === 1, 'the server to forget the socket')
  t.match(
    await bystander.request({ type: 'get_name', hero: 'ironMan' }),
    { type: 'name', hero_name: 'Tony Stark' },
    'another socket is served all the same'
  )
  const again = await HeroClient.open(t, server, sid)
  t.match(await again.next(), { type: 'user_authorized' }, 'and the session opens a new socket')
})
