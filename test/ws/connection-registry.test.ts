// The registry's rules: a per-IP cap that counts handshakes in progress (never overshot, a slot
// given back once), each session's sockets found for its end, and a handshake's watch on its
// session that an end heard meanwhile turns into a refusal.
import t from 'tap'
import type { WebSocket } from 'ws'
import { ConnectionRegistry, type OpenConnection } from '../../src/ws/connection-registry.js'
import type { HeroConnection } from '../../src/ws/connection.js'

/** A connection record; the registry only files it (it never touches the socket or its server). */
function connection (ip: string, sessionKey: string): OpenConnection {
  return { ws: {} as WebSocket, hero: {} as HeroConnection, ip, username: 'alice', sessionKey, credential: 'tag' }
}

t.test('the per-IP cap counts handshakes in progress and accepted sockets alike', async (t) => {
  const registry = new ConnectionRegistry()
  t.ok(registry.reserveIp('192.0.2.1', 2))
  t.ok(registry.reserveIp('192.0.2.1', 2))
  t.notOk(registry.reserveIp('192.0.2.1', 2), 'a third is refused while two are in progress')
  t.ok(registry.reserveIp('192.0.2.2', 2), 'another address has its own slots')
  registry.releaseIp('192.0.2.1')
  t.ok(registry.reserveIp('192.0.2.1', 2), 'a refused handshake gave its slot back')
  const accepted = connection('192.0.2.1', 'k1')
  registry.add(accepted)
  t.notOk(registry.reserveIp('192.0.2.1', 2), 'an accepted socket keeps its slot')
  registry.remove(accepted)
  registry.remove(accepted)
  t.ok(registry.reserveIp('192.0.2.1', 2), 'closing gives it back, once')
  t.notOk(registry.reserveIp('192.0.2.1', 2), 'removing twice did not give back two')
  t.notOk(registry.reserveIp('192.0.2.3', 0), 'a cap of 0 admits nobody')
})

t.test('a session\'s sockets are found for its end, and forgotten when closed', async (t) => {
  const registry = new ConnectionRegistry()
  const [a, b, c] = [connection('192.0.2.1', 's1'), connection('192.0.2.1', 's1'), connection('192.0.2.2', 's2')]
  for (const conn of [a, b, c]) {
    registry.reserveIp(conn.ip, 10)
    registry.add(conn)
  }
  t.same(new Set(registry.forSession('s1')), new Set([a, b]))
  t.same(registry.forSession('s3'), [], 'none for a session without sockets')
  t.same(registry.sessionKeys(), new Set(['s1', 's2']))
  t.equal(registry.size, 3)
  registry.remove(a)
  registry.remove(b)
  t.same(registry.sessionKeys(), new Set(['s2']), 'a session whose sockets all closed is no longer listed')
  t.same([...registry.all()], [c])
})

t.test('an end heard while a handshake watches its session refuses that handshake only', async (t) => {
  const registry = new ConnectionRegistry()
  const watched = registry.watchSession('s1')
  const other = registry.watchSession('s2')
  t.notOk(watched.ended)
  registry.sessionEnded('s1')
  t.ok(watched.ended, 'the end is seen by the handshake watching s1')
  t.notOk(other.ended, 'not by one watching another session')
  watched.done()
  watched.done()
  const later = registry.watchSession('s1')
  t.notOk(later.ended, 'a watch started after the end does not inherit it (the store answers for it)')
  other.done()
  registry.sessionEnded('s2')
  t.notOk(other.ended, 'a finished watch hears nothing more')
  later.done()
})
