// How the load generator speaks to each server over the same `ws` client: the socket path,
// the get_name request as text, and what an incoming frame means. hero-socket and the bare
// server speak the hero JSON protocol; Socket.IO is spoken as engine.io v4 packets over its
// websocket transport, so all three are driven by one client with the same costs.
import type { ServerKind } from './settings.js'

/** What an incoming text frame is, from the generator's point of view. */
export type Frame =
  | { kind: 'welcome' }
  | { kind: 'reply', id: number, heroName: string }
  /** A frame the client must answer with `text` (engine.io open → connect, ping → pong). */
  | { kind: 'answer', text: string }
  | { kind: 'ignore' }
  | { kind: 'error', detail: string }

export interface Dialect {
  /** Path and query of the socket endpoint. */
  readonly path: string
  /** The get_name request for `hero`, correlated by `id`. */
  request (id: number, hero: string): string
  read (text: string): Frame
}

const NAME_PREFIX = '{"type":"name","id":'
const HERO_NAME_KEY = '"hero_name":"'

/**
 * The `name` reply in the exact shape the servers write (type, id, hero, hero_name, no escapes),
 * read without JSON.parse to keep the generator cheap; undefined sends it to JSON.parse.
 */
function readNameFast (text: string): Frame | undefined {
  if (!text.startsWith(NAME_PREFIX) || !text.endsWith('"}')) return undefined
  const comma = text.indexOf(',', NAME_PREFIX.length)
  const key = text.lastIndexOf(HERO_NAME_KEY)
  if (comma === -1 || key === -1) return undefined
  const id = Number(text.slice(NAME_PREFIX.length, comma))
  const heroName = text.slice(key + HERO_NAME_KEY.length, -2)
  if (!Number.isInteger(id) || heroName.includes('\\') || heroName.includes('"')) return undefined
  return { kind: 'reply', id, heroName }
}

const heroJson: Dialect = {
  path: '/ws',
  request (id, hero) {
    return `{"type":"get_name","id":${id},"hero":"${hero}"}`
  },
  read (text) {
    const fast = readNameFast(text)
    if (fast !== undefined) return fast
    let message: { type?: unknown, id?: unknown, hero_name?: unknown, code?: unknown }
    try {
      message = JSON.parse(text) as typeof message
    } catch {
      return { kind: 'error', detail: 'reply is not JSON' }
    }
    if (message.type === 'name' && typeof message.id === 'number' && typeof message.hero_name === 'string') {
      return { kind: 'reply', id: message.id, heroName: message.hero_name }
    }
    if (message.type === 'user_authorized') return { kind: 'welcome' }
    if (message.type === 'error') return { kind: 'error', detail: String(message.code) }
    return { kind: 'ignore' }
  }
}

// engine.io v4 packet types: 0 open, 2 ping, 3 pong, 4 message; inside a message, socket.io
// packet types: 0 connect, 1 disconnect, 2 event, 3 ack, 4 connect_error. An event with an
// ack id is `42<id>[...]`, its answer `43<id>[...]`.
const socketIo: Dialect = {
  path: '/socket.io/?EIO=4&transport=websocket',
  request (id, hero) {
    return `42${id}["get_name",{"type":"get_name","id":${id},"hero":"${hero}"}]`
  },
  read (text) {
    if (text.startsWith('43')) {
      const bracket = text.indexOf('[')
      const id = Number(text.slice(2, bracket))
      const fast = text.endsWith(']') ? readNameFast(text.slice(bracket + 1, -1)) : undefined
      if (fast?.kind === 'reply') return { kind: 'reply', id, heroName: fast.heroName }
      let args: unknown
      try {
        args = JSON.parse(text.slice(bracket))
      } catch {
        return { kind: 'error', detail: 'ack is not JSON' }
      }
      const reply = Array.isArray(args) ? args[0] as { hero_name?: unknown } | undefined : undefined
      if (!Number.isInteger(id) || typeof reply?.hero_name !== 'string') {
        return { kind: 'error', detail: 'ack has no hero_name' }
      }
      return { kind: 'reply', id, heroName: reply.hero_name }
    }
    if (text === '2') return { kind: 'answer', text: '3' }
    if (text.startsWith('0{')) return { kind: 'answer', text: '40' }
    if (text.startsWith('42["user_authorized"')) return { kind: 'welcome' }
    if (text.startsWith('41') || text.startsWith('44') || text === '1') {
      return { kind: 'error', detail: `socket.io packet ${text.slice(0, 40)}` }
    }
    return { kind: 'ignore' }
  }
}

/** The dialect the generator speaks to a server. */
export function dialectFor (kind: ServerKind): Dialect {
  return kind === 'socket.io' ? socketIo : heroJson
}
