// Limits on the WebSocket side, with the injected clock (no sleeping): the per-client handshake
// rate (429 with Retry-After) and the refusal budget beside it, who the client is behind a
// trusted proxy (and IPv6 by /64), the per-IP and per-user connection caps (429, pending
// handshakes included), and the per-connection message bucket (rate_limited with retryAfterMs).
import t from 'tap'
import { HeroClient, waitUntil } from '../helpers/hero-client.js'
import { assertRefused, rejectionLogs, watchAccepted } from '../helpers/gate-refusals.js'
import { upgradeRequest } from '../helpers/raw-handshake.js'
import { RawClient } from '../helpers/raw-ws.js'
import { SlowSessionStore } from '../helpers/slow-sessions.js'
import { openSession, startTestServer } from '../helpers/test-server.js'

t.test('handshake rate per client: WS_HANDSHAKE_BURST at once, ' +
  'then 429 with Retry-After until the bucket refills', async (t) => {
  const server = await startTestServer(t, { WS_HANDSHAKE_RATE: '2', WS_HANDSHAKE_BURST: '3' })
  const sid = await server.login()
  const accepted = watchAccepted(server)
  for (let i = 0; i < 3; i++) {
    t.match(
      await (await HeroClient.open(t, server, sid)).next(),
      { type: 'user_authorized' },
      `handshake ${i + 1} of the burst`
    )
  }
  const limited = { status: 429, reason: 'handshake_rate_limited', secrets: [sid] } as const
  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid }),
    { ...limited, retryAfter: 1 },
    'a good handshake past the burst'
  )
  server.clock.advance(499)
  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid }),
    { ...limited, retryAfter: 1 },
    '499 ms later (rate 2/s: not yet)'
  )
  server.clock.advance(1)
  const client = await HeroClient.open(t, server, sid)
  t.match(await client.next(), { type: 'user_authorized' }, '500 ms later one handshake is allowed')
  t.equal(accepted.count, 4)
  await assertRefused(t, server, upgradeRequest(server, { sid }), { ...limited, retryAfter: 1 }, 'and only one')
  t.equal(server.app.websocket.stats.get('handshake_rate_limited'), 3)
})

t.test('handshake rate with the defaults (burst 20, 10/s)', async (t) => {
  const server = await startTestServer(t, { WS_MAX_CONNECTIONS_PER_USER: '100' })
  const sid = await server.login()
  for (let i = 0; i < 20; i++) {
    t.match(
      await (await HeroClient.open(t, server, sid)).next(),
      { type: 'user_authorized' },
      `handshake ${i + 1}`
    )
  }
  await assertRefused(t, server, upgradeRequest(server, { sid }), {
    status: 429,
    reason: 'handshake_rate_limited',
    retryAfter: 1,
    secrets: [sid]
  })
  server.clock.advance(100)
  const client = await HeroClient.open(t, server, sid)
  t.match(await client.next(), { type: 'user_authorized' }, '100 ms later one more')
})

t.test('a page on another origin cannot spend its visitor\'s handshakes: ' +
  'refusals have a budget of their own', async (t) => {
  const server = await startTestServer(t, { LOG_LEVEL: 'debug' })
  const sid = await server.login()
  const hostile = upgradeRequest(server, { sid, origins: ['https://evil.example'] })
  for (let i = 0; i < 20; i++) {
    await assertRefused(
      t,
      server,
      hostile,
      { status: 403, reason: 'origin_forbidden', secrets: [sid] },
      `hostile try ${i + 1}: 403`
    )
  }
  for (let i = 0; i < 30; i++) {
    await assertRefused(
      t,
      server,
      hostile,
      { status: 429, reason: 'handshake_refusals_limited', retryAfter: 1, secrets: [sid] },
      `hostile try ${i + 21}: still limited`
    )
  }
  t.equal(
    rejectionLogs(server, 'handshake_refusals_limited').every((e) => e.level === 20),
    true,
    'the flood is logged at debug only'
  )
  for (let i = 0; i < 5; i++) {
    const client = await HeroClient.open(t, server, sid)
    t.match(await client.next(), { type: 'user_authorized' }, `the visitor's own socket ${i + 1} opens all the same`)
  }
  server.clock.advance(100)
  await assertRefused(
    t,
    server,
    hostile,
    { status: 403, reason: 'origin_forbidden', secrets: [sid] },
    'the refusal budget refills on its own'
  )
})

t.test('refused sessions give their handshake back within the refusal budget, and spend it beyond', async (t) => {
  const server = await startTestServer(t, {
    WS_HANDSHAKE_RATE: '1',
    WS_HANDSHAKE_BURST: '3',
    WS_REFUSED_HANDSHAKE_RATE: '1',
    WS_REFUSED_HANDSHAKE_BURST: '5',
    LOG_LEVEL: 'debug'
  })
  const sid = await server.login()
  const forged = upgradeRequest(server, { sid: 'A'.repeat(43) })
  for (let i = 0; i < 5; i++) {
    await assertRefused(
      t,
      server,
      forged,
      { status: 401, reason: 'session_invalid' },
      `forged cookie ${i + 1}: 401, the handshake given back`
    )
  }
  // Past the refusal budget a refusal keeps the handshake it spent: store lookups stay bounded.
  for (let i = 0; i < 3; i++) {
    await assertRefused(
      t,
      server,
      forged,
      { status: 429, reason: 'handshake_refusals_limited', retryAfter: 1 },
      `forged cookie ${i + 6}: 429, the handshake spent`
    )
  }
  await assertRefused(
    t,
    server,
    forged,
    { status: 429, reason: 'handshake_rate_limited', retryAfter: 1 },
    'then the handshake budget is empty too'
  )
  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid }),
    { status: 429, reason: 'handshake_rate_limited', retryAfter: 1, secrets: [sid] },
    'for the good cookie as well, until it refills'
  )
  server.clock.advance(1000)
  t.match(
    await (await HeroClient.open(t, server, sid)).next(),
    { type: 'user_authorized' },
    'a second later the good cookie opens a socket'
  )
})

t.test('the client is the trusted proxy\'s X-Forwarded-For entry, read from the right; ' +
  'otherwise the peer', async (t) => {
  const server = await startTestServer(t, {
    TRUSTED_PROXIES: '127.0.0.1, 127.0.0.16/30',
    WS_HANDSHAKE_RATE: '1',
    WS_HANDSHAKE_BURST: '1',
    WS_MAX_CONNECTIONS_PER_USER: '50'
  })
  const sid = await server.login()
  const through = async (chain: string, from = '127.0.0.1'): Promise<HeroClient> => {
    const client = await HeroClient.open(t, server, sid, {
      headers: { cookie: `__Host-sid=${sid}`, 'x-forwarded-for': chain },
      localAddress: from
    })
    await client.next()
    return client
  }
  const limited = (chain: string): string => upgradeRequest(server, { sid, headers: [['X-Forwarded-For', chain]] })
  await through('10.0.0.1')
  await assertRefused(
    t,
    server,
    limited('10.0.0.1'),
    { status: 429, reason: 'handshake_rate_limited', retryAfter: 1, secrets: [sid] },
    '10.0.0.1 again'
  )
  await assertRefused(
    t,
    server,
    limited('1.2.3.4, 10.0.0.1'),
    { status: 429, reason: 'handshake_rate_limited', retryAfter: 1 },
    'an entry the client adds on the left changes nothing'
  )
  await assertRefused(
    t,
    server,
    limited('10.0.0.1, not-an-address, 127.0.0.17'),
    { status: 429, reason: 'handshake_rate_limited', retryAfter: 1 },
    'from the right: a trusted proxy and junk are skipped'
  )
  await through('10.0.0.2')
  await through('2001:db8:1:2::1')
  await assertRefused(
    t,
    server,
    limited('2001:db8:1:2::ffff'),
    { status: 429, reason: 'handshake_rate_limited', retryAfter: 1 },
    'IPv6 counts by /64'
  )
  await through('2001:db8:1:3::1')
  await through('10.0.0.9')
  await assertRefused(
    t,
    server,
    limited('::ffff:10.0.0.9'),
    { status: 429, reason: 'handshake_rate_limited', retryAfter: 1 },
    'an IPv4-mapped address is its IPv4 address'
  )
  // A peer that is not a trusted proxy is the client, whatever it forwards.
  await through('10.0.0.3', '127.0.0.5')
  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid, headers: [['X-Forwarded-For', '10.0.0.4']] }),
    { status: 429, reason: 'handshake_rate_limited', retryAfter: 1, from: '127.0.0.5' },
    'an untrusted peer cannot choose its identity'
  )
  const opened = server.logs.entries().filter((e) => e.event === 'ws_open').map((e) => e.ip)
  t.same(
    opened,
    ['10.0.0.1', '10.0.0.2', '2001:db8:1:2::1', '2001:db8:1:3::1', '10.0.0.9', '127.0.0.5'],
    'the logs name each client'
  )
})

t.test('per-IP connection cap: WS_MAX_CONNECTIONS_PER_IP open sockets, then 429; ' +
  'a closed socket frees its slot', async (t) => {
  const server = await startTestServer(t, {
    WS_MAX_CONNECTIONS_PER_IP: '2',
    WS_MAX_CONNECTIONS_PER_USER: '10',
    WS_HANDSHAKE_BURST: '1000'
  })
  const sid = await server.login()
  const first = await HeroClient.open(t, server, sid)
  const second = await HeroClient.open(t, server, sid)
  await first.next()
  await second.next()
  await assertRefused(t, server, upgradeRequest(server, { sid }), {
    status: 429,
    reason: 'ip_connection_limit',
    retryAfter: 5,
    secrets: [sid]
  })
  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid, origins: ['https://evil.com'] }),
    { status: 403, reason: 'origin_forbidden' },
    'the Origin check comes first'
  )
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
  const { id: sid } = await openSession(server)
  const pending = [await RawClient.connect(server), await RawClient.connect(server)]
  for (const client of pending) client.write(upgradeRequest(server, { sid }))
  await waitUntil(() => sessions.waiting === 2, 'two handshakes waiting for the session store')
  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid }),
    { status: 429, reason: 'ip_connection_limit', retryAfter: 5, secrets: [sid] },
    'a third while two are pending'
  )
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
  const { id: sid } = await openSession(server)
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
  const server = await startTestServer(t, { WS_MAX_CONNECTIONS_PER_USER: '2', WS_HANDSHAKE_BURST: '1000' }, {
    sessions
  })
  const { id: sid } = await openSession(server)
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
    await assertRefused(t, server, upgradeRequest(server, { sid }), {
      status: 429,
      reason: 'user_connection_limit',
      retryAfter: 5,
      secrets: [sidA, sidB]
    })
  }
  t.equal(server.app.websocket.connections.size, 2, 'still two')
  second.ws.close()
  await second.closed()
  await waitUntil(() => server.app.websocket.connections.size === 1, 'the server to forget the closed socket')
  const third = await HeroClient.open(t, server, sidA)
  t.match(await third.next(), { type: 'user_authorized' }, 'a closed socket frees the user slot')
})

t.test('the socket caps are our own answers: ' +
  'they keep the handshake they spent and spend no refusal budget', async (t) => {
  const server = await startTestServer(t, {
    WS_MAX_CONNECTIONS_PER_USER: '1',
    WS_HANDSHAKE_RATE: '1',
    WS_HANDSHAKE_BURST: '3',
    WS_REFUSED_HANDSHAKE_RATE: '1',
    WS_REFUSED_HANDSHAKE_BURST: '1',
    LOG_LEVEL: 'debug'
  })
  const sid = await server.login()
  t.match(
    await (await HeroClient.open(t, server, sid)).next(),
    { type: 'user_authorized' },
    'the one socket the user may have'
  )
  for (let i = 0; i < 2; i++) {
    await assertRefused(
      t,
      server,
      upgradeRequest(server, { sid }),
      { status: 429, reason: 'user_connection_limit', retryAfter: 5, secrets: [sid] },
      `over the cap ${i + 1}: 429, the handshake spent`
    )
  }
  await assertRefused(
    t,
    server,
    upgradeRequest(server, { sid }),
    { status: 429, reason: 'handshake_rate_limited', retryAfter: 1, secrets: [sid] },
    'the three handshakes of the burst are spent'
  )
  const hostile = upgradeRequest(server, { sid, origins: ['https://evil.example'] })
  await assertRefused(
    t,
    server,
    hostile,
    { status: 403, reason: 'origin_forbidden', secrets: [sid] },
    'the refusal budget (1) is whole'
  )
  await assertRefused(
    t,
    server,
    hostile,
    { status: 429, reason: 'handshake_refusals_limited', retryAfter: 1, secrets: [sid] },
    'and now spent'
  )
  t.equal(server.app.websocket.connections.size, 1, 'still the one socket')
})

t.test('message rate: MESSAGE_BURST at once, then rate_limited with retryAfterMs; ' +
  'the clock refills the bucket', async (t) => {
  const server = await startTestServer(t, { MESSAGE_RATE: '2', MESSAGE_BURST: '5', MAX_RATE_LIMITED_MESSAGES: '100' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  const ask = { type: 'get_name', id: 1, hero: 'hulk' }
  for (let i = 0; i < 5; i++) {
    t.match(
      await client.request(ask),
      { type: 'name', hero_name: 'Bruce Banner' },
      `message ${i + 1} of the burst`
    )
  }
  t.same(
    await client.request(ask),
    { type: 'error', code: 'rate_limited', message: 'Too many messages. Please slow down.', retryAfterMs: 500 },
    'the next: rate_limited, 1 token at 2/s = 500 ms'
  )
  server.clock.advance(250)
  t.match(await client.request(ask), { code: 'rate_limited', retryAfterMs: 250 }, '250 ms later: 250 ms to go')
  server.clock.advance(249)
  t.match(await client.request(ask), { code: 'rate_limited', retryAfterMs: 1 }, '499 ms later: 1 ms to go')
  server.clock.advance(1)
  t.match(await client.request(ask), { type: 'name', id: 1 }, 'after retryAfterMs the message is answered')
  t.match(await client.request(ask), { code: 'rate_limited', retryAfterMs: 500 }, 'and the bucket is empty again')
  server.clock.advance(10_000)
  for (let i = 0; i < 5; i++) {
    t.match(
      await client.request(ask),
      { type: 'name' },
      `after a long pause, message ${i + 1}`
    )
  }
  t.match(await client.request(ask), { code: 'rate_limited' }, 'the bucket never holds more than the burst')
  t.equal(client.ws.readyState, client.ws.OPEN, 'still open below MAX_RATE_LIMITED_MESSAGES')
})

t.test('a fractional MESSAGE_RATE gives whole-millisecond retryAfterMs', async (t) => {
  const server = await startTestServer(t, { MESSAGE_RATE: '0.3', MESSAGE_BURST: '1' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  t.match(await client.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' })
  t.match(
    await client.request({ type: 'get_name', hero: 'hulk' }),
    { code: 'rate_limited', retryAfterMs: 3334 },
    'ceil(1000 / 0.3)'
  )
})

t.test('a very low MESSAGE_RATE still sends a retryAfterMs its schema allows (at most an hour)', async (t) => {
  const server = await startTestServer(t, { MESSAGE_RATE: '0.0001', MESSAGE_BURST: '1' })
  const sid = await server.login()
  const client = await HeroClient.open(t, server, sid)
  await client.next()
  t.match(await client.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' })
  t.match(
    await client.request({ type: 'get_name', hero: 'hulk' }),
    { code: 'rate_limited', retryAfterMs: 3_600_000 },
    'capped at the schema maximum'
  )
})
