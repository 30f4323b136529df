// The upgrade gate over raw TLS: every refusal answers its status, counts and logs its reason,
// closes the socket and lets nothing through (no 'connection', no frame, no secret in the logs).
// WS_MAX_CONNECTIONS_PER_IP=1, so a refusal that kept its IP slot would turn the next case into
// ip_connection_limit.
import t, { type Test } from 'tap'
import type { ClientOptions } from 'ws'
import { HeroClient, waitUntil } from '../helpers/hero-client.js'
import { assertRefused, watchAccepted, type ExpectedRefusal } from '../helpers/gate-refusals.js'
import { upgradeRequest, type UpgradeRequestOptions } from '../helpers/raw-handshake.js'
import { RawWebSocket } from '../helpers/raw-ws.js'
import { openSession, startTestServer, type TestServer } from '../helpers/test-server.js'

const GENEROUS = {
  WS_HANDSHAKE_RATE: '100000',
  WS_HANDSHAKE_BURST: '100000',
  WS_REFUSED_HANDSHAKE_RATE: '100000',
  WS_REFUSED_HANDSHAKE_BURST: '100000',
  WS_MAX_CONNECTIONS_PER_IP: '1'
}

interface Case { name: string, request: UpgradeRequestOptions | string, expected: Omit<ExpectedRefusal, 'secrets'> }

/** Refuses every case, then proves the same session still opens a socket (with `client` options). */
async function refuseAll (
  t: Test,
  server: TestServer,
  sid: string,
  cases: readonly Case[],
  client: ClientOptions = {}
): Promise<void> {
  const accepted = watchAccepted(server)
  for (const { name, request, expected } of cases) {
    const raw = typeof request === 'string' ? request : upgradeRequest(server, { sid, ...request })
    await assertRefused(t, server, raw, { ...expected, secrets: [sid] }, name)
  }
  t.equal(accepted.count, 0, 'no socket was accepted')
  t.equal(server.app.websocket.connections.size, 0, 'no connection registered')
  const socket = await HeroClient.open(t, server, sid, client)
  t.match(await socket.next(), { type: 'user_authorized' }, 'the same session still opens a socket')
  t.equal(accepted.count, 1)
  socket.ws.close()
  await socket.closed()
  // Free the one per-IP slot before the next socket of this test.
  await waitUntil(() => server.app.websocket.connections.size === 0, 'the server to forget the socket')
}

t.test('wrong path (404) and wrong method (405)', async (t) => {
  const server = await startTestServer(t, GENEROUS)
  const sid = await server.login()
  const notFound = { status: 404, reason: 'not_found' } as const
  const notAllowed = { status: 405, reason: 'method_not_allowed' } as const
  await refuseAll(t, server, sid, [
    { name: 'path /', request: { path: '/' }, expected: notFound },
    { name: 'path /ws/', request: { path: '/ws/' }, expected: notFound },
    { name: 'path /WS', request: { path: '/WS' }, expected: notFound },
    { name: 'path /ws2', request: { path: '/ws2' }, expected: notFound },
    { name: 'path //ws', request: { path: '//ws' }, expected: notFound },
    { name: 'path /ws%2F', request: { path: '/ws%2F' }, expected: notFound },
    { name: 'path /login', request: { path: '/login' }, expected: notFound },
    { name: 'absolute-form target', request: { path: `https://127.0.0.1:${server.port}/ws` }, expected: notFound },
    { name: 'POST /ws', request: { method: 'POST' }, expected: notAllowed },
    { name: 'PUT /ws', request: { method: 'PUT' }, expected: notAllowed },
    { name: 'DELETE /ws', request: { method: 'DELETE' }, expected: notAllowed },
    { name: 'POST /ws without Origin', request: { method: 'POST', origins: [] }, expected: notAllowed }
  ])
})

t.test('Origin: missing (403), sent twice (403), or not exactly ours (403)', async (t) => {
  const server = await startTestServer(t, GENEROUS)
  const sid = await server.login()
  const { port, origin } = server
  const forbidden = { status: 403, reason: 'origin_forbidden' } as const
  const near = [
    `https://127.0.0.1:${port}.evil.com`,
    'https://evil.com',
    `https://evil.com/https://127.0.0.1:${port}`,
    `https://127.0.0.1:${port}@evil.com`,
    `http://127.0.0.1:${port}`,
    `http://localhost:${port}`,
    `wss://127.0.0.1:${port}`,
    `https://127.0.0.1:${port + 1}`,
    `https://127.0.0.1:0${port}`,
    'https://127.0.0.1',
    `https://127.0.0.2:${port}`,
    `https://127.0.0.1.:${port}`,
    `https://sub.localhost:${port}`,
    `https://[::1]:${port}`,
    'null',
    '*',
    '',
    `${origin}/`,
    `https://localhost:${port}/`,
    `${origin}/ws`,
    `https://LOCALHOST:${port}`,
    `https://Localhost:${port}`,
    `HTTPS://127.0.0.1:${port}`,
    `Https://localhost:${port}`,
    `${origin}, https://evil.com`,
    `https://evil.com ${origin}`
  ]
  await refuseAll(t, server, sid, [
    { name: 'no Origin', request: { origins: [] }, expected: { status: 403, reason: 'origin_missing' } },
    {
      name: 'no Origin, no cookie',
      request: { origins: [], cookie: '' },
      expected: { status: 403, reason: 'origin_missing' }
    },
    {
      name: 'Origin twice (both ours)',
      request: { origins: [origin, origin] },
      expected: { status: 403, reason: 'origin_duplicated' }
    },
    {
      name: 'Origin twice (ours, then evil)',
      request: { origins: [origin, 'https://evil.com'] },
      expected: { status: 403, reason: 'origin_duplicated' }
    },
    {
      name: 'Origin twice (evil, then ours)',
      request: { origins: ['https://evil.com', origin] },
      expected: { status: 403, reason: 'origin_duplicated' }
    },
    ...near.map((o) => ({ name: `Origin ${JSON.stringify(o)}`, request: { origins: [o] }, expected: forbidden })),
    {
      name: 'Sec-WebSocket-Origin instead of Origin',
      request: { origins: [], headers: [['Sec-WebSocket-Origin', origin]] },
      expected: { status: 403, reason: 'origin_missing' }
    }
  ])

  t.test('the localhost spelling of our origin is allowed', async (t) => {
    const client = await HeroClient.open(t, server, sid, { origin: `https://localhost:${port}` })
    t.match(await client.next(), { type: 'user_authorized' })
    client.ws.close()
    await client.closed()
  })
})

t.test('session cookie: missing, unknown, malformed or duplicated (401)', async (t) => {
  const server = await startTestServer(t, GENEROUS)
  const sid = await server.login()
  const other = await server.login()
  const missing = { status: 401, reason: 'session_missing' } as const
  const invalid = { status: 401, reason: 'session_invalid' } as const
  await refuseAll(t, server, sid, [
    { name: 'no Cookie header', request: { cookie: undefined, sid: undefined }, expected: missing },
    { name: 'empty Cookie header', request: { cookie: '' }, expected: missing },
    { name: 'other cookies only', request: { cookie: 'theme=dark; lang=en' }, expected: missing },
    { name: 'cookie name in lower case', request: { cookie: `__host-sid=${sid}` }, expected: missing },
    { name: 'cookie without the __Host- prefix', request: { cookie: `sid=${sid}` }, expected: missing },
    { name: 'cookie name with a suffix', request: { cookie: `__Host-sid2=${sid}` }, expected: missing },
    {
      name: 'the id in another header',
      request: { cookie: undefined, sid: undefined, headers: [['Authorization', `Bearer ${sid}`]] },
      expected: missing
    },
    {
      name: 'two __Host-sid cookies (same id)',
      request: { cookie: `__Host-sid=${sid}; __Host-sid=${sid}` },
      expected: missing
    },
    {
      name: 'two __Host-sid cookies (ours first)',
      request: { cookie: `__Host-sid=${sid}; __Host-sid=${other}` },
      expected: missing
    },
    {
      name: 'two __Host-sid cookies (tossed one first)',
      request: { cookie: `__Host-sid=${'A'.repeat(43)}; __Host-sid=${sid}` },
      expected: missing
    },
    {
      name: 'two Cookie header lines',
      request: {
        cookie: undefined,
        sid: undefined,
        headers: [['Cookie', `__Host-sid=${sid}`], ['Cookie', `__Host-sid=${other}`]]
      },
      expected: missing
    },
    { name: 'unknown id of the right shape', request: { cookie: `__Host-sid=${'A'.repeat(43)}` }, expected: invalid },
    { name: 'empty id', request: { cookie: '__Host-sid=' }, expected: invalid },
    { name: 'id with a character appended', request: { cookie: `__Host-sid=${sid}x` }, expected: invalid },
    { name: 'id cut short', request: { cookie: `__Host-sid=${sid.slice(0, 42)}` }, expected: invalid },
    { name: 'id in upper case', request: { cookie: `__Host-sid=${sid.toUpperCase()}` }, expected: invalid },
    { name: 'quoted id', request: { cookie: `__Host-sid="${sid}"` }, expected: invalid },
    { name: 'url-encoded garbage', request: { cookie: '__Host-sid=%00%0d%0a' }, expected: invalid },
    { name: 'a very long id', request: { cookie: `__Host-sid=${'x'.repeat(4000)}` }, expected: invalid }
  ])
})

t.test('a handshake ws itself finds malformed (400), after every other check passed', async (t) => {
  const server = await startTestServer(t, GENEROUS)
  const sid = await server.login()
  const bad = { status: 400, reason: 'bad_handshake' } as const
  await refuseAll(t, server, sid, [
    { name: 'no Sec-WebSocket-Key', request: { key: null }, expected: bad },
    { name: 'short Sec-WebSocket-Key', request: { key: 'abc' }, expected: bad },
    { name: 'Sec-WebSocket-Key of 15 bytes', request: { key: Buffer.alloc(15, 1).toString('base64') }, expected: bad },
    { name: 'Sec-WebSocket-Key not base64', request: { key: '!!!!!!!!!!!!!!!!!!!!!!==' }, expected: bad },
    { name: 'no Sec-WebSocket-Version', request: { version: null }, expected: bad },
    { name: 'Sec-WebSocket-Version 12', request: { version: '12' }, expected: bad },
    { name: 'Sec-WebSocket-Version 14', request: { version: '14' }, expected: bad },
    { name: 'Sec-WebSocket-Version abc', request: { version: 'abc' }, expected: bad },
    { name: 'Upgrade: h2c', request: { upgrade: 'h2c' }, expected: bad },
    { name: 'Upgrade: websocket2', request: { upgrade: 'websocket2' }, expected: bad },
    {
      name: 'invalid Sec-WebSocket-Protocol',
      request: { headers: [['Sec-WebSocket-Protocol', 'a b,,c']] },
      expected: bad
    },
    {
      name: 'duplicate Sec-WebSocket-Protocol',
      request: { headers: [['Sec-WebSocket-Protocol', 'chat, chat']] },
      expected: bad
    }
  ])
  const logs = server.logs.entries().filter((e) => e.reason === 'bad_handshake')
  t.ok(logs.every((e) => e.ip === '127.0.0.1'), 'each bad_handshake is logged with the client IP')
  t.same([...new Set(logs.map((e) => e.detail))].sort(), [
    'Invalid Sec-WebSocket-Protocol header',
    'Invalid Upgrade header',
    'Missing or invalid Sec-WebSocket-Key header',
    'Missing or invalid Sec-WebSocket-Version header'
  ], 'and with what ws found wrong')
})

t.test('a valid raw handshake still works and a query string is fine', async (t) => {
  const server = await startTestServer(t, GENEROUS)
  const sid = await server.login()
  const accepted = watchAccepted(server)
  const client = await HeroClient.open(t, server, sid)
  t.match(await client.next(), { type: 'user_authorized' })
  client.ws.close()
  await client.closed()
  const raw = await RawWebSocket.open(server, sid, { path: '/ws?v=1' })
  const frame = await raw.next()
  t.match(JSON.parse(frame.payload.toString()), { type: 'user_authorized' })
  t.equal(frame.masked, false, 'server frames are not masked')
  raw.destroy()
  t.equal(accepted.count, 2)
  t.equal(server.app.websocket.stats.get('accepted'), 2)
})

t.test('with ALLOWED_ORIGINS set, exactly those origins are allowed and our own is not', async (t) => {
  const server = await startTestServer(t, {
    ...GENEROUS,
    ALLOWED_ORIGINS: 'https://app.example.com, https://admin.example.com:8443'
  })
  const sid = await server.login(undefined, undefined).catch(() => undefined)
  t.equal(sid, undefined, 'the login form refuses our own origin too')
  const { id } = await openSession(server)
  await refuseAll(t, server, id, [
    {
      name: 'our own origin',
      request: { origins: [server.origin] },
      expected: { status: 403, reason: 'origin_forbidden' }
    },
    {
      name: 'the allowed host on another port',
      request: { origins: ['https://admin.example.com'] },
      expected: { status: 403, reason: 'origin_forbidden' }
    },
    {
      name: 'both allowed origins in one header',
      request: { origins: ['https://app.example.com, https://admin.example.com:8443'] },
      expected: { status: 403, reason: 'origin_forbidden' }
    }
  ], { origin: 'https://app.example.com' })
  const admin = await HeroClient.open(t, server, id, { origin: 'https://admin.example.com:8443' })
  t.match(await admin.next(), { type: 'user_authorized' }, 'the second allowed origin works too')
})
