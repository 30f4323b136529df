// What users would pick instead: a Socket.IO 4 server (websocket transport only, no polling)
// that emits the same first message and answers the get_name event through its ack.
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { BENCH_HEROES, BENCH_HERO_LIST, BENCH_LIMITS } from '../heroes.js'
import { benchTls, serveControl } from '../server-control.js'

const tls = benchTls()
const server = tls === undefined ? http.createServer() : https.createServer(tls)
const io = new Server(server, {
  transports: ['websocket'], serveClient: false, perMessageDeflate: false, maxHttpBufferSize: 4096
})
const welcome = { type: 'user_authorized', user: { username: 'bench' }, heroes: BENCH_HERO_LIST, limits: BENCH_LIMITS }

io.on('connection', (socket) => {
  socket.on('get_name', (request: { id?: number, hero?: string }, ack: unknown) => {
    if (typeof ack !== 'function') return
    ack({ type: 'name', id: request.id, hero: request.hero, hero_name: BENCH_HEROES.get(request.hero ?? '') })
  })
  socket.emit('user_authorized', welcome)
})

server.listen(0, '127.0.0.1', () => {
  serveControl((server.address() as AddressInfo).port, async () => {
    await io.close()
  })
})
