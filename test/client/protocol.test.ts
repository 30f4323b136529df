// The browser client speaks the server's schemas: it accepts exactly the server messages the
// server's own Protocol (src/protocol/protocol.ts) accepts, what it sends the server parses, and
// its close-code policy and backoff behave as documented (with fake sockets, no browser). That
// its generated files are current is test/scripts/generate-protocol.test.ts.
import t from 'tap'
import { backoffDelay, RECONNECT_BACKOFF } from '../../client/backoff.js'
import { CLOSE, closeAction, encodeGetName, parseServerMessage } from '../../client/messages.js'
import {
  ReconnectingSocket,
  type ConnectionState,
  type SessionProbe,
  type SocketLike
} from '../../client/reconnecting-socket.js'
import {
  CLIENT_MESSAGE_VALIDATORS,
  SERVER_MESSAGE_VALIDATORS,
  type ServerMessage
} from '../../client/generated/protocol.js'
import { CLOSE_CODES } from '../../src/errors.js'
import { Protocol } from '../../src/protocol/protocol.js'
import { readProtocolSchemas } from '../../src/protocol/schema-files.js'

const schemas = readProtocolSchemas()

/** The server's own compiled protocol. */
const protocol = Protocol.load()

t.test('the client validates the same messages, by the same types, as the server', async (t) => {
  t.same(Object.keys(SERVER_MESSAGE_VALIDATORS).sort(), [...protocol.serverTypes].sort(), 'server messages')
  t.same(
    Object.keys(CLIENT_MESSAGE_VALIDATORS).sort(),
    [...protocol.clientTypes].sort(),
    'and sends the ones the server parses'
  )
})

const heroes = [
  { id: 'ironMan', name: 'Iron Man' }, { id: 'hulk', name: 'Hulk' }, { id: 'wonderWoman', name: 'Wonder Woman' },
  { id: 'batMan', name: 'Batman' }, { id: 'blackPanther', name: 'Black Panther' }
]
const limits = { messageRate: 10, messageBurst: 20 }
/** Server messages with the schema file that must judge them; `ok` is what both sides must say. */
const samples: Array<{ file: string, ok: boolean, message: unknown, why: string }> = [
  {
    file: 'user-authorized.json',
    ok: true,
    why: 'the documented greeting',
    message: { type: 'user_authorized', user: { username: 'alice' }, heroes, limits }
  },
  {
    file: 'user-authorized.json',
    ok: true,
    why: 'no heroes',
    message: { type: 'user_authorized', user: { username: 'alice' }, heroes: [], limits }
  },
  {
    file: 'user-authorized.json',
    ok: true,
    why: 'a fractional rate, a burst of 1',
    message: {
      type: 'user_authorized',
      user: { username: 'alice' },
      heroes,
      limits: { messageRate: 0.25, messageBurst: 1 }
    }
  },
  {
    file: 'user-authorized.json',
    ok: false,
    why: 'a hero without a name',
    message: { type: 'user_authorized', user: { username: 'alice' }, heroes: [{ id: 'hulk' }], limits }
  },
  {
    file: 'user-authorized.json',
    ok: false,
    why: 'an extra field',
    message: { type: 'user_authorized', user: { username: 'alice', admin: true }, heroes, limits }
  },
  {
    file: 'user-authorized.json',
    ok: false,
    why: 'too many heroes',
    message: {
      type: 'user_authorized',
      user: { username: 'alice' },
      heroes: Array.from({ length: 101 }, (_, i) => ({ id: `h${i}`, name: `H ${i}` })),
      limits
    }
  },
  {
    file: 'user-authorized.json',
    ok: false,
    why: 'no limits',
    message: { type: 'user_authorized', user: { username: 'alice' }, heroes }
  },
  {
    file: 'user-authorized.json',
    ok: false,
    why: 'a rate of 0',
    message: {
      type: 'user_authorized',
      user: { username: 'alice' },
      heroes,
      limits: { messageRate: 0, messageBurst: 20 }
    }
  },
  {
    file: 'user-authorized.json',
    ok: false,
    why: 'a fractional burst',
    message: {
      type: 'user_authorized',
      user: { username: 'alice' },
      heroes,
      limits: { messageRate: 10, messageBurst: 1.5 }
    }
  },
  {
    file: 'user-authorized.json',
    ok: false,
    why: 'a burst of 0',
    message: {
      type: 'user_authorized',
      user: { username: 'alice' },
      heroes,
      limits: { messageRate: 10, messageBurst: 0 }
    }
  },
  {
    file: 'user-authorized.json',
    ok: false,
    why: 'an unknown limit',
    message: { type: 'user_authorized', user: { username: 'alice' }, heroes, limits: { ...limits, maxPayload: 4096 } }
  },
  {
    file: 'name.json',
    ok: true,
    why: 'the documented reply',
    message: { type: 'name', id: 7, hero: 'ironMan', hero_name: 'Tony Stark' }
  },
  { file: 'name.json', ok: true, why: 'no id', message: { type: 'name', hero: 'hulk', hero_name: 'Bruce Banner' } },
  {
    file: 'name.json',
    ok: true,
    why: '100 astral characters count as 100',
    message: { type: 'name', hero: 'x', hero_name: '🦸'.repeat(100) }
  },
  {
    file: 'name.json',
    ok: false,
    why: '101 astral characters',
    message: { type: 'name', hero: 'x', hero_name: '🦸'.repeat(101) }
  },
  { file: 'name.json', ok: false, why: 'hero_name missing', message: { type: 'name', id: 7, hero: 'ironMan' } },
  {
    file: 'name.json',
    ok: false,
    why: 'hero_name not a string',
    message: { type: 'name', hero: 'ironMan', hero_name: { html: '<b>x</b>' } }
  },
  {
    file: 'name.json',
    ok: false,
    why: 'id not an integer',
    message: { type: 'name', id: 1.5, hero: 'ironMan', hero_name: 'Tony Stark' }
  },
  {
    file: 'error.json',
    ok: true,
    why: 'the documented rate limit',
    message: {
      type: 'error',
      id: 7,
      code: 'rate_limited',
      message: 'Too many messages. Please slow down.',
      retryAfterMs: 1200
    }
  },
  {
    file: 'error.json',
    ok: true,
    why: 'unknown hero',
    message: { type: 'error', id: 8, code: 'unknown_hero', message: 'There is no hero with that id.' }
  },
  { file: 'error.json', ok: false, why: 'an unknown code', message: { type: 'error', code: 'teapot', message: 'no' } },
  {
    file: 'error.json',
    ok: false,
    why: 'a negative wait',
    message: { type: 'error', code: 'rate_limited', message: 'no', retryAfterMs: -1 }
  }
]

t.test('the client accepts exactly the server messages the server schema accepts', async (t) => {
  for (const { file, ok, message, why } of samples) {
    t.equal((message as { type: string }).type, schemas.find((s) => s.file === file)?.type)
    t.equal(protocol.isValidServerMessage(message as { type: string }), ok, `server: ${file} ${why}`)
    t.equal(parseServerMessage(JSON.stringify(message)) !== undefined, ok, `client: ${file} ${why}`)
  }
  for (const text of [
    '',
    'not json',
    '[]',
    'null',
    '42',
    '{"type":"name"}',
    '{"type":"get_name","hero":"hulk"}',
    '{"type":"toString","hero":"x"}',
    '{"type":"__proto__"}'
  ]) {
    t.equal(parseServerMessage(text), undefined, `client ignores ${JSON.stringify(text)}`)
  }
})

t.test('what the client sends passes the server schema', async (t) => {
  for (const hero of heroes) {
    const sent = encodeGetName(hero.id, 7)
    t.same(
      protocol.parse(sent),
      { ok: true, message: { type: 'get_name', id: 7, hero: hero.id } },
      `the server parses get_name ${hero.id}`
    )
  }
  t.match(protocol.parse(encodeGetName('x'.repeat(64), 2 ** 31 - 1)), { ok: true }, 'the largest id and hero')
  t.throws(() => encodeGetName('', 1), /schema/, 'an empty hero is never sent')
  t.throws(() => encodeGetName('x'.repeat(65), 1), /schema/, 'an oversized hero is never sent')
  t.throws(() => encodeGetName('hulk', 2 ** 31), /schema/, 'an id beyond the schema is never sent')
})

t.test('close codes: what the client does next', async (t) => {
  t.equal(closeAction(1006, false), 'probe', 'refused handshake or no server: ask GET / which')
  t.equal(closeAction(4401, false), 'probe')
  t.equal(closeAction(4401, true), 'session_ended')
  t.equal(closeAction(4410, true), 'account_removed')
  for (const code of [1008, 1003, 1009]) t.equal(closeAction(code, true), 'stop', `${code} is never retried`)
  for (const code of [1001, 1006, 1011, 1000]) t.equal(closeAction(code, true), 'reconnect', `${code} is retried`)
})

t.test('full-jitter backoff: random within a doubling ceiling, capped', async (t) => {
  t.same(RECONNECT_BACKOFF, { baseMs: 500, maxMs: 15_000 })
  t.equal(backoffDelay(0, RECONNECT_BACKOFF, () => 0), 0)
  t.equal(backoffDelay(0, RECONNECT_BACKOFF, () => 0.999), 499)
  t.equal(backoffDelay(3, RECONNECT_BACKOFF, () => 0.5), 2000)
  t.equal(backoffDelay(5, RECONNECT_BACKOFF, () => 0.999), 14_985, 'capped at 15 s')
  t.equal(backoffDelay(1000, RECONNECT_BACKOFF, () => 0.999), 14_985, 'no overflow for long outages')
})

/** A socket the test drives by hand. */
class FakeSocket implements SocketLike {
  readyState = 0
  onopen: ((event: Event) => void) | null = null
  onmessage: ((event: MessageEvent) => void) | null = null
  onclose: ((event: CloseEvent) => void) | null = null
  readonly sent: string[] = []
  open (): void { this.readyState = 1; this.onopen?.({} as Event) }
  receive (data: unknown): void {
    this.onmessage?.({ data: typeof data === 'string' ? data : JSON.stringify(data) } as MessageEvent)
  }

  serverClose (code: number): void { this.readyState = 3; this.onclose?.({ code } as CloseEvent) }
  send (data: string): void { this.sent.push(data) }
  close (): void { this.readyState = 3 }
}

const greeting = {
  type: 'user_authorized',
  user: { username: 'alice' },
  heroes,
  limits: { messageRate: 10, messageBurst: 20 }
}

function harness (probe: SessionProbe = 'unreachable') {
  const sockets: FakeSocket[] = []
  const states: ConnectionState[] = []
  const messages: ServerMessage[] = []
  const connection = new ReconnectingSocket({
    url: 'wss://example.test/ws',
    createSocket: () => { const s = new FakeSocket(); sockets.push(s); return s },
    probe: async () => probe,
    random: () => 0
  }, { state: (s) => states.push(s), message: (m) => messages.push(m) })
  return { connection, sockets, states, messages, kinds: () => states.map((s) => s.kind) }
}

const nextTimers = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5))

t.test('a connection: greeting, replies, and what each close leads to', async (t) => {
  t.test('connects, ignores invalid messages, sends only when connected', async (t) => {
    const warnings = t.capture(console, 'warn')
    const h = harness()
    h.connection.start()
    t.equal(h.connection.send('x'), false, 'not before user_authorized')
    h.sockets[0]?.open()
    h.sockets[0]?.receive(greeting)
    h.sockets[0]?.receive({ type: 'name', hero: 'hulk' })
    h.sockets[0]?.receive('<script>')
    h.sockets[0]?.receive({ type: 'name', id: 1, hero: 'hulk', hero_name: 'Bruce Banner' })
    t.same(h.kinds(), ['connecting', 'connected'])
    t.same(h.messages.map((m) => m.type), ['user_authorized', 'name'], 'the two invalid ones never reach the page')
    t.equal(warnings().length, 2, 'each is noted on the console as a warning, not an error')
    t.equal(h.connection.send('{"type":"get_name","hero":"hulk"}'), true)
    t.same(h.sockets[0]?.sent, ['{"type":"get_name","hero":"hulk"}'])
  })

  t.test('4401 ends the session and never reconnects', async (t) => {
    const h = harness()
    h.connection.start()
    h.sockets[0]?.open()
    h.sockets[0]?.receive(greeting)
    h.sockets[0]?.serverClose(4401)
    await nextTimers()
    t.same(h.kinds(), ['connecting', 'connected', 'ended'])
    t.same(h.states.at(-1), { kind: 'ended', accountRemoved: false })
    t.equal(h.sockets.length, 1)
  })

  t.test('4410 ends the session, saying the account was removed, and never reconnects', async (t) => {
    const h = harness()
    h.connection.start()
    h.sockets[0]?.open()
    h.sockets[0]?.receive(greeting)
    h.sockets[0]?.serverClose(4410)
    await nextTimers()
    t.same(h.states.at(-1), { kind: 'ended', accountRemoved: true })
    t.equal(h.sockets.length, 1)
  })

  t.test('1008 stops for good', async (t) => {
    const h = harness()
    h.connection.start()
    h.sockets[0]?.open()
    h.sockets[0]?.serverClose(1008)
    await nextTimers()
    t.same(h.states.at(-1), { kind: 'failed', code: 1008 })
    h.connection.retryNow()
    t.equal(h.sockets.length, 1)
  })

  t.test('1001 waits (shutdown), then reconnects and resets the backoff', async (t) => {
    const h = harness()
    h.connection.start()
    h.sockets[0]?.open()
    h.sockets[0]?.receive(greeting)
    h.sockets[0]?.serverClose(1001)
    t.match(h.states.at(-1), { kind: 'waiting', reason: 'shutdown' })
    await nextTimers()
    t.equal(h.sockets.length, 2, 'a new socket after the delay')
    t.match(h.states.at(-1), { kind: 'connecting', retry: true })
    h.sockets[1]?.open()
    h.sockets[1]?.receive(greeting)
    t.match(h.states.at(-1), { kind: 'connected' })
  })

  t.test('1011 waits (server error) with its code, then reconnects; 1006 after open is a lost ' +
    'connection', async (t) => {
    const h = harness()
    h.connection.start()
    h.sockets[0]?.open()
    h.sockets[0]?.receive(greeting)
    h.sockets[0]?.serverClose(1011)
    t.match(h.states.at(-1), { kind: 'waiting', reason: 'server_error', code: 1011 })
    await nextTimers()
    t.equal(h.sockets.length, 2, 'tries again')
    h.sockets[1]?.open()
    h.sockets[1]?.receive(greeting)
    h.sockets[1]?.serverClose(1006)
    t.match(h.states.at(-1), { kind: 'waiting', reason: 'lost', code: 1006 })
    h.connection.stop()
  })

  t.test('a refused handshake asks GET / whether the session is gone', async (t) => {
    const gone = harness('gone')
    gone.connection.start()
    gone.sockets[0]?.serverClose(1006)
    await nextTimers()
    t.same(gone.kinds(), ['connecting', 'ended'], 'session gone: back to the login page')
    t.equal(gone.sockets.length, 1)

    const down = harness('unreachable')
    down.connection.start()
    down.sockets[0]?.serverClose(1006)
    await nextTimers()
    t.match(down.states[1], { kind: 'waiting', reason: 'unreachable' }, 'server down: keep backing off')
    t.ok(down.sockets.length >= 2)
    down.connection.stop()

    const refused = harness('alive')
    refused.connection.start()
    refused.sockets[0]?.serverClose(1006)
    await nextTimers()
    t.match(
      refused.states[1],
      { kind: 'waiting', reason: 'refused' },
      'session fine: refused for another reason (too many tabs)'
    )
    refused.connection.stop()
  })

  t.test('stop() closes and stays closed', async (t) => {
    const h = harness()
    h.connection.start()
    h.sockets[0]?.open()
    h.connection.stop()
    h.sockets[0]?.serverClose(1006)
    await nextTimers()
    t.same(h.kinds(), ['connecting'])
    t.equal(h.sockets.length, 1)
  })
})

t.test('the client\'s close codes are the server\'s registry, plus the two it meets from elsewhere', async (t) => {
  t.same({
    goingAway: CLOSE.goingAway,
    unsupportedData: CLOSE.unsupportedData,
    policyViolation: CLOSE.policyViolation,
    internalError: CLOSE.internalError,
    sessionEnded: CLOSE.sessionEnded,
    accountRemoved: CLOSE.accountRemoved
  }, {
    goingAway: CLOSE_CODES.going_away.code,
    unsupportedData: CLOSE_CODES.unsupported_data.code,
    policyViolation: CLOSE_CODES.policy_violation.code,
    internalError: CLOSE_CODES.internal_error.code,
    sessionEnded: CLOSE_CODES.session_ended.code,
    accountRemoved: CLOSE_CODES.account_removed.code
  }, 'each code the server sends, by name')
  const server = new Set<number>(Object.values(CLOSE_CODES).map(({ code }) => code))
  t.same(
    Object.values(CLOSE).filter((code) => !server.has(code)).sort(),
    [1006, 1009],
    'beyond those only 1006 (the browser: no close frame) and 1009 (ws: MAX_PAYLOAD)'
  )
  t.same(
    [...server].filter((code) => !Object.values(CLOSE).includes(code as never)),
    [],
    'the client knows every code the server sends'
  )
})
