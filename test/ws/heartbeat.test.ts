// Heartbeat: each round pings every socket, and a socket that did not answer the previous round's
// ping is terminated. A `ws` client with autoPong off and a raw socket that never answers are
// cut off after two rounds; a normal client survives any number of rounds.
import t from 'tap'
import { HeroClient, waitUntil } from '../helpers/hero-client.js'
import { OPCODE } from '../helpers/raw-frames.js'
import { RawWebSocket } from '../helpers/raw-ws.js'
import { startTestServer } from '../helpers/test-server.js'

t.test('two heartbeat rounds terminate a peer that does not answer pings; a normal client survives', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const normal = await HeroClient.open(t, server, sid)
  const silent = await HeroClient.open(t, server, sid, { autoPong: false })
  const raw = await RawWebSocket.open(server, sid)
  await normal.next()
  await silent.next()
  await raw.next()
  let normalPings = 0
  let silentPings = 0
  normal.ws.on('ping', () => { normalPings++ })
  silent.ws.on('ping', () => { silentPings++ })

  server.app.websocket.heartbeat()
  await waitUntil(() => normalPings === 1 && silentPings === 1, 'the first pings')
  t.equal((await raw.next()).opcode, OPCODE.ping, 'the raw socket gets a ping')
  // The pong went out before this request, so the server has it once the answer is back.
  t.match(await normal.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' })
  t.equal(server.app.websocket.connections.size, 3, 'nobody is cut off by the first round')

  server.app.websocket.heartbeat()
  const { code } = await silent.closed()
  t.equal(code, 1006, 'the silent ws client is terminated (no close frame)')
  await raw.client.waitClosed()
  t.notOk(raw.frames().some((f) => f.opcode === OPCODE.close), 'the raw socket is cut without a close frame')
  await waitUntil(() => server.app.websocket.connections.size === 1, 'the server to forget both')
  t.same(
    server.logs.entries().filter((e) => e.event === 'ws_dropped').map((e) => e.reason),
    ['heartbeat_missed', 'heartbeat_missed'],
    'ws_dropped logged for each, as heartbeat_missed'
  )
  t.equal(server.app.websocket.drops.get('heartbeat_missed'), 2, 'and counted')

  for (let round = 0; round < 3; round++) {
    await waitUntil(() => normalPings === round + 2, `ping ${round + 2}`)
    t.match(
      await normal.request({ type: 'get_name', hero: 'hulk' }),
      { type: 'name' },
      `the normal client survives round ${round + 2}`
    )
    server.app.websocket.heartbeat()
  }
  t.equal(normal.ws.readyState, normal.ws.OPEN)
})

t.test('the heartbeat runs by itself every HEARTBEAT_INTERVAL_MS', async (t) => {
  const server = await startTestServer(t, { HEARTBEAT_INTERVAL_MS: '100' })
  const sid = await server.login()
  const normal = await HeroClient.open(t, server, sid)
  const silent = await HeroClient.open(t, server, sid, { autoPong: false })
  await normal.next()
  await silent.next()
  let normalPings = 0
  normal.ws.on('ping', () => { normalPings++ })
  t.equal((await silent.closed(10_000)).code, 1006, 'the silent client is terminated within a few intervals')
  await waitUntil(() => normalPings >= 5, 'five pings to the normal client')
  t.equal(normal.ws.readyState, normal.ws.OPEN, 'the normal client is still open after five rounds')
  t.match(await normal.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' })
})
