// The ceiling: a bare `ws` server that sends the same first message as hero-socket and answers
// get_name with a Map lookup, and nothing else (no Origin, session, schema or rate checks).
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { BENCH_HEROES, BENCH_HERO_LIST, BENCH_LIMITS } from '../heroes.js'
import { benchTls, serveControl } from '../server-control.js'

const tls = benchTls()
const server = tls === undefined ? http.createServer() : https.createServer(tls)
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false, maxPayload: 4096 })
const welcome = JSON.stringify({
  type: 'user_authorized', user: { username: 'bench' }, heroes: BENCH_HERO_LIST, limits: BENCH_LIMITS
})

wss.on('connection', (ws) => {
  ws.on('error', () => {})
  ws.on('message', (data) => {
    let request: { id?: number, hero?: string }
    try {
      request = JSON.parse(String(data)) as typeof request
    } catch {
      return
    }
    const heroName = BENCH_HEROES.get(request.hero ?? '')
    ws.send(JSON.stringify({ type: 'name', id: request.id, hero: request.hero, hero_name: heroName }))
  })
  ws.send(welcome)
})

server.listen(0, '127.0.0.1', () => {
  serveControl((server.address() as AddressInfo).port, async () => {
    for (const ws of wss.clients) ws.terminate()
    await new Promise((resolve) => wss.close(resolve))
    await new Promise((resolve) => server.close(resolve))
  })
})
