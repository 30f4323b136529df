// Limits on the WebSocket side, with the injected clock (no sleeping): the per-IP handshake rate
// (429 with Retry-After), the per-IP and per-user connection caps (429, pending handshakes
// included), and the per-connection message bucket (rate_limited with retryAfterMs, refill).
import t from 'tap'
import { HeroClient, waitUntil } from '../helpers/hero-client.js'
import { assertRefused, exchange, RawClient, upgradeRequest, watchAccepted } from '../helpers/raw-ws.js'
import { SlowSessionStore } from '../helpers/slow-sessions.js'
import { startTestServer } from '../helpers/test-server.js'

t.test('handshake rate per IP: WS_HANDSHAKE_BURST at once, then 429 with Retry-After until the bucket refills', async (t) => {
  const server = await startTestServer(t, { WS_HANDSHAKE_RATE: '2', WS_HANDSHAKE_BURST: '3' })
  const sid = await server.login()
  // Refused handshakes spend tokens too (the rate check comes before Origin and cookie).
  for (let i = 0; i < 3; i++) {
    await assertRefused(t, server, upgradeRequest(server, { sid, origins: [] }), { status: 403, reason: 'origin_missing' })
  }
  const limited = { status: 429, reason: 'handshake_rate_limited', secrets: [sid] } as const
  await assertRefused(t, server, upgradeRequest(server, { sid }), { ...limited, retryAfter: 1 }, 'a good handshake past the burst')
  server.clock.advance(499)
  await assertRefused(t, server, upgradeRequest(server, { sid }), { ...limited, retryAfter: 1 }, '499 ms later (rate 2/s: not yet)')
  server.clock.advance(1)
  const accepted = watchAccepted(server)
  const client = await HeroClient.open(t, server, sid)
  t.match(await client.next(), { type: 'user_authorized' }, '500 ms later one handshake is allowed')
  t.equal(accepted.count, 1)
  await assertRefused(t, server, upgradeRequest(server, { sid }), { ...limited, retryAfter: 1 }, 'and only one')
  t.equal(server.app.websocket.stats.get('handshake_rate_limited'), 3)
  // Paths other than /ws never reach the limiter.
  await assertRefused(t, server, upgradeRequest(server, { sid, path: '/other' }), { status: 404, reason: 'not_found' })
})

t.test('handshake rate with the defaults (burst 20, 10/s)', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  for (let i = 0; i < 20; i++) {
    const res = await exchange(server, upgradeRequest(server, { sid, origins: ['https://evil.com'] }))
    t.equal(res.status, 403, `handshake ${i + 1}: reaches the Origin check`)
  }
  await assertRefused(t, server, upgradeRequest(server, { sid }), { status: 429, reason: 'handshake_rate_limited', retryAfter: 1, secrets: [sid] })
  server.clock.advance(100)
  const client = await HeroClient.open(t, server, sid)
  t.match(await client.next(), { type: 'user_authorized' }, '100 ms later one more')
})

t.test('the handshake rate is per client IP (the trusted X-Forwarded-For hop, not one the client adds)', async (t) => {
  const server = await startTestServer(t, { WS_HANDSHAKE_RATE: '1', WS_HANDSHAKE_BURST: '1', TRUST_PROXY_HOPS: '1' })
  const sid = await server.login()
  const from = (chain: string): string => upgradeRequest(server, { sid, origins: [], headers: [['X-Forwarded-For', chain]] })
  await assertRefused(t, server, from('10.0.0.1'), { status: 403, reason: 'origin_missing' }, '10.0.0.1 spends its token')
  await assertRefused(t, server, from('10.0.0.1'), { status: 429, reason: 'handshake_rate_limited', retryAfter: 1 }, '10.0.0.1 again')
  await assertRefused(t, server, from('1.2.3.4, 10.0.0.1'), { status: 429, reason: 'handshake_rate_limited', retryAfter: 1 }, 'a spoofed entry on the left changes nothing')
  await assertRefused(t, server, from('10.0.0.2'), { status: 403, reason: 'origin_missing' }, '10.0.0.2 has its own bucket')
  t.same(server.logs.entries().filter((e) => e.reason === 'handshake_rate_limited').map((e) => e.ip), ['10.0.0.1', '10.0.0.1'], 'the log names the limited IP')
})

t.test('per-IP connection cap: WS_MAX_CONNECTIONS_PER_IP open sockets, then 429; a closed socket frees its slot', async (t) => {
  const server = await startTestServer(t, { WS_MAX_CONNECTIONS_PER_IP: '2', WS_MAX_CONNECTIONS_PER_USER: '10', WS_HANDSHAKE_BURST: '1000' })
  const sid = await server.login()
  const first = await HeroClient.open(t, server, sid)
  const second = await HeroClient.open(t, server, sid)
  await first.next()
  await second.next()
  await assertRefused(t, server, upgradeRequest(server, { sid }), { status: 429, reason: 'ip_connection_limit', retryAfter: 5, secrets: [sid] })
  await assertRefused(t, server, upgradeRequest(server, { sid, origins: ['https://evil.com'] }), { status: 429, reason: 'ip_connection_limit', retryAfter: 5 }, 'the cap comes before the Origin check')
  first.ws.close()
  await first.closed()
  await waitUntil(() => server.app.websocket.connections.size === 1, 'the server to forget the closed socket')
  const third = await HeroClient.open(t, server, sid)
  t.match(await third.next(), { type: 'user_authorized' }, 'the freed slot is usable')
  t.equal(server.app.websocket.connections.size, 2)
})

t.test('per-IP cap counts handshakes still in the gate (a slow session store)', async (t) => {
  const sessions = new SlowSessionStore()
  const server = await startTestServer(t, { WS_MAX_CONNECTIONS_PER_IP: '2', WS_HANDSHAKE_BURST: '1000' }, { sessions })
  const { id: sid } = await sessions.create('alice')
  const pending = [await RawClient.connect(server), await RawClient.connect(server)]
  for (const client of pending) client.write(upgradeRequest(server, { sid }))
  await waitUntil(() => sessions.waiting === 2, 'two handshakes waiting for the session store')
  await assertRefused(t, server, upgradeRequest(server, { sid }), { status: 429, reason: 'ip_connection_limit', retryAfter: 5, secrets: [sid] }, 'a third while two are pending')
  sessions.release()
  for (const client of pending) {
    await client.waitFor((data) => data.includes('\r\n\r\n'))
    t.match(client.data.toString('latin1'), /^HTTP\/1\.1 101 /, 'the pending handshakes complete')
    client.destroy()
  }
})

t.test('a client that leaves while its handshake is pending frees its slot and opens nothing', async (t) => {
  const sessions = new SlowSessionStore()
  const server = await startTestServer(t, { WS_MAX_CONNECTIONS_PER_IP: '1', WS_HANDSHAKE_BURST: '1000' }, { sessions })
  const { id: sid } = await sessions.create('alice')
  const accepted = watchAccepted(server)
  const leaving = await RawClient.connect(server)
  leaving.write(upgradeRequest(server, { sid }))
  await waitUntil(() => sessions.waiting === 1, 'the handshake waiting for the session store')
  leaving.destroy()
  await leaving.waitClosed()
  sessions.release()
  await waitUntil(() => sessions.waiting === 0, 'the lookup to finish')
  const client = await HeroClient.open(t, server, sid)
  t.match(await client.next(), { type: 'user_authorized' }, 'the only per-IP slot is free again')
  t.equal(accepted.count, 1, 'only that one socket was accepted')
})

t.test('concurrent handshakes of one user cannot overshoot WS_MAX_CONNECTIONS_PER_USER', async (t) => {
  const sessions = new SlowSessionStore()
  const server = await startTestServer(t, { WS_MAX_CONNECTIONS_PER_USER: '2', WS_HANDSHAKE_BURST: '1000' }, { sessions })
  const { id: sid } = await sessions.create('alice')
  const clients = await Promise.all(Array.from({ length: 6 }, async () => await RawClient.connect(server)))
  for (const client of clients) client.write(upgradeRequest(server, { sid }))
  await waitUntil(() => sessions.waiting === 6, 'six handshakes waiting for the session store')
  sessions.release()
  const statuses = []
  for (const client of clients) {
    await client.waitFor((data) => data.includes('\r\n\r\n'))
    statuses.push(Number(/^HTTP\/1\.1 (\d+)/.exec(client.data.toString('latin1'))?.[1]))
    client.destroy()
  }
  t.same(statuses.sort(), [101, 101, 429, 429, 429, 429], 'two upgraded, four refused')
  t.equal(server.app.websocket.stats.get('user_connection_limit'), 4)
})

t.test('per-user cap across sessions: WS_MAX_CONNECTIONS_PER_USER sockets, then 429', async (t) => {
  const server = await startTestServer(t, { WS_MAX_CONNECTIONS_PER_USER: '2', WS_HANDSHAKE_BURST: '1000' })
  const sidA = await server.login()
  const sidB = await server.login()
  const first = await HeroClient.open(t, server, sidA)
  const second = await HeroClient.open(t, server, sidB)
  await first.next()
  await second.next()
  for (const sid of [sidA, sidB]) {
    await assertRefused(t, server, upgradeRequest(server, { sid }), { status: 429, reason: 'user_connection_limit', retryAfter: 5, secrets: [sidA, sidB] })
  }
  t.equal(server.app.websocket.connections.size, 2, 'still two')
  second.ws.close()
  await second.closed()
  await waitUntil(() => server.app.websocket.connections.size === 1, 'the server to forget the closed socket')
  const third = await HeroClient.open(t, server, sidA)
  t.match(await third.next(), { type: 'user_authorized' }, 'a closed socket frees the user slot')
})

t.test('message rate: MESSAGE_BURST at once, then rate_limited with retryAfterMs; the clock refills the bucket', async (t) => {
  const server = await startTestServer(t, { MESSAGE_RATE: '2', MESSAGE_BURST: '5', MAX_RATE_LIMITED_MESSAGES: '100' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  const ask = { type: 'get_name', id: 1, hero: 'hulk' }
  for (let i = 0; i < 5; i++) t.match(await client.request(ask), { type: 'name', hero_name: 'Bruce Banner' }, `message ${i + 1} of the burst`)
  t.same(await client.request(ask), { type: 'error', code: 'rate_limited', message: 'Too many messages. Please slow down.', retryAfterMs: 500 }, 'the next: rate_limited, 1 token at 2/s = 500 ms')
  server.clock.advance(250)
  t.match(await client.request(ask), { code: 'rate_limited', retryAfterMs: 250 }, '250 ms later: 250 ms to go')
  server.clock.advance(249)
  t.match(await client.request(ask), { code: 'rate_limited', retryAfterMs: 1 }, '499 ms later: 1 ms to go')
  server.clock.advance(1)
  t.match(await client.request(ask), { type: 'name', id: 1 }, 'after retryAfterMs the message is answered')
  t.match(await client.request(ask), { code: 'rate_limited', retryAfterMs: 500 }, 'and the bucket is empty again')
  server.clock.advance(10_000)
  for (let i = 0; i < 5; i++) t.match(await client.request(ask), { type: 'name' }, `after a long pause, message ${i + 1}`)
  t.match(await client.request(ask), { code: 'rate_limited' }, 'the bucket never holds more than the burst')
  t.equal(client.ws.readyState, client.ws.OPEN, 'still open below MAX_RATE_LIMITED_MESSAGES')
})

t.test('a fractional MESSAGE_RATE gives whole-millisecond retryAfterMs', async (t) => {
  const server = await startTestServer(t, { MESSAGE_RATE: '0.3', MESSAGE_BURST: '1' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  t.match(await client.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' })
  t.match(await client.request({ type: 'get_name', hero: 'hulk' }), { code: 'rate_limited', retryAfterMs: 3334 }, 'ceil(1000 / 0.3)')
})

t.test('a very low MESSAGE_RATE still sends a retryAfterMs its schema allows (at most an hour)', async (t) => {
  const server = await startTestServer(t, { MESSAGE_RATE: '0.0001', MESSAGE_BURST: '1' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  t.match(await client.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' })
  t.match(await client.request({ type: 'get_name', hero: 'hulk' }), { code: 'rate_limited', retryAfterMs: 3_600_000 }, 'capped at the schema maximum')
})
