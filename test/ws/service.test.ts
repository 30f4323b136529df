import t from 'tap'
import WebSocket from 'ws'
import { HeroClient } from '../helpers/hero-client.js'
import { startTestServer } from '../helpers/test-server.js'

t.test('a logged-in user asks for a hero over wss', async (t) => {
  const server = await startTestServer(t)
  const sid = await server.login()
  const ws = new WebSocket(`wss://127.0.0.1:${server.port}/ws`, {
    origin: server.origin,
    headers: { cookie: `__Host-sid=${sid}` },
    ca: server.ca
  })
  const messages: unknown[] = []
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      messages.push(JSON.parse(data.toString()))
      if (messages.length === 1) ws.send(JSON.stringify({ type: 'get_name', id: 7, hero: 'ironMan' }))
      else resolve()
    })
    ws.on('error', reject)
  })
  t.match(messages[0], { type: 'user_authorized', user: { username: 'alice' } })
  t.same(messages[1], { type: 'name', id: 7, hero: 'ironMan', hero_name: 'Tony Stark' })
  ws.close()
})

t.test('user_authorized tells the client its message budget, as configured', async (t) => {
  const server = await startTestServer(t, { MESSAGE_RATE: '2.5', MESSAGE_BURST: '4' })
  const client = await HeroClient.open(t, server, await server.login())
  t.match(await client.next(), { type: 'user_authorized', limits: { messageRate: 2.5, messageBurst: 4 } })
})
