// What a logged-in client that means harm could do to the server's memory and to other clients,
// over raw TLS: stop reading while asking for replies (dropped past MAX_BUFFERED_BYTES, memory
// released), answer no pings but send pongs of its own (dropped by the heartbeat), flood pings
// (1008, and other clients' round trips carry on), keep flooding while the 1008 is under way
// (ignored: abuse is answered once). Well-behaved clients doing the same amount of work are never
// touched.
import t from 'tap'
import { HeroClient, waitUntil } from '../helpers/hero-client.js'
import { encodeFrame, OPCODE } from '../helpers/raw-frames.js'
import { RawWebSocket } from '../helpers/raw-ws.js'
import { startTestServer } from '../helpers/test-server.js'

/** `count` requests for an unknown hero (valid messages; each reply is about 80 bytes). */
function requests (count: number): Buffer {
  const one = encodeFrame(OPCODE.text, '{"type":"get_name","hero":"x"}')
  return Buffer.concat(Array.from({ length: count }, () => one))
}

const UNLIMITED = { MESSAGE_RATE: '1000000', MESSAGE_BURST: '1000000' }

t.test('a client that stops reading is dropped once its unsent replies pass MAX_BUFFERED_BYTES', async (t) => {
  const server = await startTestServer(t, UNLIMITED)
  const sid = await server.login()
  const slow = await RawWebSocket.open(server, sid)
  await slow.next()
  slow.client.socket.pause() // reads nothing more
  const heapBefore = process.memoryUsage().heapUsed
  const batch = requests(5000)
  let sent = 0
  while (!slow.client.closed && sent < 400_000) {
    slow.client.write(batch)
    sent += 5000
    await new Promise((resolve) => setImmediate(resolve))
  }
  await slow.client.waitClosed(20_000)
  t.ok(slow.client.closed, `dropped after ${sent} requests`)
  await waitUntil(() => server.app.websocket.connections.size === 0, 'the server to forget it')
  t.equal(server.app.websocket.drops.get('slow_reader'), 1, 'counted as slow_reader')
  const dropped = server.logs.entries().find((e) => e.event === 'ws_dropped')
  t.match(dropped, { reason: 'slow_reader', level: 40 }, 'logged with its reason')
  t.ok(Number(dropped?.buffered) > 65536, `with ${String(dropped?.buffered)} bytes unsent`)
  global.gc?.()
  const grown = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024
  t.ok(grown < 64, `the server's heap (this process) grew ${grown.toFixed(1)} MB at most`)

  // As much work from a client that reads its replies (500 requests in flight) is served in full.
  const reader = await HeroClient.open(t, server, sid)
  await reader.next()
  for (let batch = 1; batch <= 40; batch++) {
    for (let i = 0; i < 500; i++) reader.ws.send('{"type":"get_name","hero":"x"}')
    await waitUntil(() => reader.messages.length >= 1 + batch * 500, `the replies to batch ${batch}`)
  }
  t.equal(reader.ws.readyState, reader.ws.OPEN, 'a client that reads is never dropped (20 000 replies)')
  t.equal(server.app.websocket.drops.get('slow_reader'), 1)
})

t.test('pongs the server did not ask for prove nothing: a peer that never echoes its ping is dropped', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const faker = await RawWebSocket.open(server, sid)
  await faker.next()
  const honest = await HeroClient.open(t, server, sid)
  await honest.next()
  const honestPings: string[] = []
  honest.ws.on('ping', (data: Buffer) => honestPings.push(data.toString('hex')))
  server.app.websocket.heartbeat()
  const ping = await faker.next()
  t.equal(ping.opcode, OPCODE.ping, 'the faker is pinged')
  t.equal(ping.payload.length, 8, 'with an 8-byte payload')
  for (const payload of ['alive, honestly', '', 'x'.repeat(8), Buffer.alloc(8).toString()]) {
    faker.send(
      OPCODE.pong,
      payload
    )
  }
  t.match(
    await honest.request({ type: 'get_name', hero: 'hulk' }),
    { type: 'name' },
    'the honest client answers its ping (ws echoes the payload)'
  )
  server.app.websocket.heartbeat()
  await faker.client.waitClosed()
  t.notOk(
    faker.frames().some((f) => f.opcode === OPCODE.close),
    'the faker is dropped without a close frame: its pongs echoed nothing'
  )
  t.equal(server.app.websocket.drops.get('heartbeat_missed'), 1)
  await waitUntil(() => honestPings.length === 2, 'the honest client\'s second ping')
  t.equal(honest.ws.readyState, honest.ws.OPEN, 'the honest client stays')
  t.not(honestPings[0], honestPings[1], 'each ping carries a fresh payload')
})

t.test('a ping flood ends in 1008 within the message budget, and other clients are served meanwhile', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const flooder = await RawWebSocket.open(server, sid)
  await flooder.next()
  const other = await HeroClient.open(t, server, sid)
  await other.next()
  const flood = Buffer.concat(Array.from({ length: 1000 }, () => encodeFrame(OPCODE.ping, 'p')))
  flooder.client.write(flood)
  const started = Date.now()
  const answers: number[] = []
  for (let i = 0; i < 20; i++) {
    const sent = Date.now()
    t.match(await other.request({ type: 'get_name', id: i, hero: 'hulk' }), { type: 'name', id: i })
    answers.push(Date.now() - sent)
  }
  const { code } = await flooder.nextClose()
  t.equal(code, 1008, 'the flooder is closed with 1008')
  const pongs = flooder.frames().filter((f) => f.opcode === OPCODE.pong).length
  t.equal(
    pongs,
    40,
    'it got 40 pongs: 20 of its message burst, 20 more past it, answered but abuse; the 21st abusive ping closed it'
  )
  t.ok(server.logs.entries().some((e) => e.event === 'ws_ping_abuse'), 'logged as ws_ping_abuse')
  t.comment(`the other client's 20 round trips (its whole burst) took ${answers.join(', ')} ms ` +
    `(${Date.now() - started} ms in all)`)
  t.ok(Math.max(...answers) < 2000, 'none of them waited on the flood')
  t.equal(other.ws.readyState, other.ws.OPEN)
})

t.test('a flood of unrequested pongs spends the message budget like pings: 1008, and nothing is answered ' +
  'after', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const flooder = await RawWebSocket.open(server, sid)
  await flooder.next()
  flooder.client.write(Buffer.concat(Array.from({ length: 100 }, () => encodeFrame(OPCODE.pong, 'not yours'))))
  flooder.send(OPCODE.text, JSON.stringify({ type: 'get_name', id: 1, hero: 'hulk' }))
  const { code } = await flooder.nextClose()
  t.equal(code, 1008, 'closed with 1008: 20 pongs spent the burst, 20 more the abuse budget')
  t.ok(server.logs.entries().some((e) => e.event === 'ws_pong_abuse'), 'logged as ws_pong_abuse')
  t.notOk(
    flooder.frames().some((f) => f.opcode === OPCODE.text && f.payload.toString().includes('"type":"name"')),
    'the request after the flood was not answered'
  )
  await waitUntil(() => server.app.websocket.connections.size === 0, 'the server to forget the socket')
})

t.test('the review\'s attack at the default budgets: no reading, a pong now and then, one valid request with bursts ' +
  'of excess ones', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const attacker = await RawWebSocket.open(server, sid)
  await attacker.next()
  attacker.client.socket.pause()
  const burst = Buffer.concat(Array.from(
    { length: 30 },
    () => encodeFrame(OPCODE.text, '{"type":"get_name","hero":"hulk"}')
  ))
  let seconds = 0
  const cut = (): boolean => server.logs.entries().some((e) => e.event === 'ws_rate_abuse' || e.event === 'ws_dropped')
  while (!cut() && seconds < 600) {
    attacker.client.write(burst) // one answered (the bucket refilled), the rest rate-limited
    attacker.send(OPCODE.pong, 'still here')
    server.clock.advance(1000)
    seconds++
    if (seconds % 30 === 0) server.app.websocket.heartbeat()
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  t.ok(seconds <= 5, `closed with 1008 after ${seconds} s of the test clock, not hours later`)
  t.ok(
    server.logs.entries().some((e) => e.event === 'ws_rate_abuse'),
    'for rate abuse, its replies never having piled up'
  )
  // It reads nothing, not even the close frame: ws ends it after its closing timeout (5 s).
  await waitUntil(() => server.app.websocket.connections.size === 0, 'the server to let it go', 15_000)
})

t.test('abuse is answered once: frames still arriving after the 1008 are neither processed nor logged, nor ' +
  'answered', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const flooder = await RawWebSocket.open(server, sid)
  await flooder.next()
  const oneByte = (count: number): Buffer => Buffer.concat(Array.from(
    { length: count },
    () => encodeFrame(OPCODE.text, 'x')
  ))
  const abuseLines = (): Array<Record<string, unknown>> =>
    server.logs.entries().filter((e) => String(e.event).endsWith('_abuse'))
  const processed = (): number => server.logs.entries().length
  flooder.client.write(oneByte(5000))
  const { code } = await flooder.nextClose()
  t.equal(code, 1008, 'the flood meets 1008')
  const closeAt = flooder.frames().findIndex((f) => f.opcode === OPCODE.close)
  // The close is under way (ws waits for our close frame): thousands more frames, ping and pongs among them.
  const logLinesAtClose = processed()
  for (let i = 0; i < 5; i++) {
    flooder.client.write(Buffer.concat([
      oneByte(1000),
      encodeFrame(OPCODE.ping, 'p'),
      encodeFrame(OPCODE.pong, 'q'),
      encodeFrame(OPCODE.text, '{"type":"get_name","hero":"hulk"}')
    ]))
    await new Promise((resolve) => setImmediate(resolve))
  }
  // A request whose reply we can wait for does not exist any more, so wait on the server having read everything:
  // a last frame that ws reports itself (an unmasked frame is a protocol error it logs as ws_error).
  flooder.client.write(encodeFrame(OPCODE.text, 'z', { mask: false }))
  await waitUntil(
    () => server.logs.entries().some((e) => e.event === 'ws_error'),
    'the server to have read every frame'
  )
  flooder.send(OPCODE.close, Buffer.from([0x03, 0xe8]))
  await flooder.client.waitClosed()
  await waitUntil(() => server.app.websocket.connections.size === 0, 'the server to forget the socket')
  const lines = abuseLines()
  t.equal(lines.length, 1, 'exactly one abuse line for the connection')
  t.match(lines[0], { event: 'ws_invalid_abuse', level: 40 })
  t.same(
    server.logs.entries().slice(logLinesAtClose)
      .map((e) => e.event)
      .filter((e) => e !== 'ws_error' && e !== 'ws_close'),
    [],
    'nothing else logged about the frames after the close'
  )
  t.same(flooder.frames().slice(closeAt + 1), [], 'nothing sent after the close frame: no reply, no pong')
})
