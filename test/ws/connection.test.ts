// The hero protocol over a real wss connection: user_authorized, get_name with and without id,
// every error code with the id echoed only when it is a valid integer, client input never echoed
// and never logged, prototype names are just unknown heroes. Every server message is checked
// against its schema by HeroClient.
import t, { type Test } from 'tap'
import { MESSAGE_ERRORS, type MessageErrorCode } from '../../src/errors.js'
import { EXPECTED_HEROES } from '../helpers/expected-heroes.js'
import { HeroClient, openAuthorised } from '../helpers/hero-client.js'
import { startTestServer } from '../helpers/test-server.js'

// Generous limits: this file sends many bad messages on one socket on purpose.
const ENV = { MAX_INVALID_MESSAGES: '1000', MESSAGE_BURST: '1000', MESSAGE_RATE: '1000' }

t.test('user_authorized: exactly the user, the hero list and the budget, first and once', async (t) => {
  const server = await startTestServer(t, ENV)
  const client = await HeroClient.open(t, server, await server.login())
  t.same(await client.next(), {
    type: 'user_authorized',
    user: { username: 'alice' },
    heroes: EXPECTED_HEROES.map(({ id, name }) => ({ id, name })),
    limits: { messageRate: Number(ENV.MESSAGE_RATE), messageBurst: Number(ENV.MESSAGE_BURST) }
  })
  t.same(Object.keys(client.messages[0] ?? {}), ['type', 'user', 'heroes', 'limits'], 'no other field')
  t.match(
    await client.request({ type: 'get_name', hero: 'hulk' }),
    { type: 'name' },
    'the next message is an answer, not a second greeting'
  )
})

t.test('get_name: every hero, with and without id', async (t) => {
  const server = await startTestServer(t, ENV)
  const client = await openAuthorised(t, server, await server.login())
  let id = 0
  for (const hero of EXPECTED_HEROES) {
    t.same(
      await client.request({ type: 'get_name', id, hero: hero.id }),
      { type: 'name', id, hero: hero.id, hero_name: hero.realName },
      `${hero.id} with id ${id}`
    )
    t.same(
      await client.request({ type: 'get_name', hero: hero.id }),
      { type: 'name', hero: hero.id, hero_name: hero.realName },
      `${hero.id} without id: no id in the reply`
    )
    id++
  }
  t.same(
    await client.request({ type: 'get_name', id: 2147483647, hero: 'hulk' }),
    { type: 'name', id: 2147483647, hero: 'hulk', hero_name: 'Bruce Banner' },
    'the largest id'
  )
  t.same(
    await client.request('{"hero":"batMan","id":7,"type":"get_name"}'),
    { type: 'name', id: 7, hero: 'batMan', hero_name: 'Bruce Wayne' },
    'field order does not matter'
  )
  t.same(
    await client.request('  {"type":"get_name","hero":"hulk"}\n'),
    { type: 'name', hero: 'hulk', hero_name: 'Bruce Banner' },
    'whitespace around JSON is fine'
  )
  t.same(
    await client.request('{"type":"get_name","id":1.0,"hero":"hulk"}'),
    { type: 'name', id: 1, hero: 'hulk', hero_name: 'Bruce Banner' },
    '1.0 is the integer 1'
  )
  t.same(
    await client.request('{"type":"get_name","id":-0,"hero":"hulk"}'),
    { type: 'name', id: 0, hero: 'hulk', hero_name: 'Bruce Banner' },
    '-0 is the integer 0'
  )
})

interface ErrorCase { name: string, send: unknown, code: MessageErrorCode, id?: number }

async function expectErrors (t: Test, client: HeroClient, cases: readonly ErrorCase[]): Promise<void> {
  for (const { name, send, code, id } of cases) {
    const reply = await client.request(send)
    const expected: Record<string, unknown> = { type: 'error' }
    if (id !== undefined) expected.id = id
    expected.code = code
    expected.message = MESSAGE_ERRORS[code]
    t.same(reply, expected, `${name}: ${code}${id === undefined ? ', no id' : `, id ${id}`}, the registry's text`)
  }
}

t.test('invalid_json: anything JSON.parse refuses', async (t) => {
  const server = await startTestServer(t, ENV)
  const client = await openAuthorised(t, server, await server.login())
  await expectErrors(t, client, [
    { name: 'plain text', send: 'hello', code: 'invalid_json' },
    { name: 'empty frame', send: '', code: 'invalid_json' },
    { name: 'truncated object', send: '{"type":"get_name","id":3,"hero":"hulk"', code: 'invalid_json' },
    { name: 'single quotes', send: "{'type':'get_name','hero':'hulk'}", code: 'invalid_json' },
    { name: 'trailing comma', send: '{"type":"get_name","hero":"hulk",}', code: 'invalid_json' },
    { name: 'NaN', send: '{"type":"get_name","id":NaN,"hero":"hulk"}', code: 'invalid_json' },
    { name: 'two objects', send: '{"type":"get_name","hero":"hulk"}{}', code: 'invalid_json' },
    { name: 'a NUL byte', send: '\u0000', code: 'invalid_json' }
  ])
})

t.test('invalid_message: wrong shape, with the id echoed only when it is a valid integer', async (t) => {
  const server = await startTestServer(t, ENV)
  const client = await openAuthorised(t, server, await server.login())
  await expectErrors(t, client, [
    { name: 'an array', send: '[{"type":"get_name","hero":"hulk"}]', code: 'invalid_message' },
    { name: 'a number', send: '42', code: 'invalid_message' },
    { name: 'a string', send: '"get_name"', code: 'invalid_message' },
    { name: 'null', send: 'null', code: 'invalid_message' },
    { name: 'true', send: 'true', code: 'invalid_message' },
    { name: 'empty object', send: {}, code: 'invalid_message' },
    { name: 'no type', send: { id: 1, hero: 'hulk' }, code: 'invalid_message', id: 1 },
    { name: 'type is a number', send: { type: 1, id: 2, hero: 'hulk' }, code: 'invalid_message', id: 2 },
    { name: 'type is null', send: { type: null, hero: 'hulk' }, code: 'invalid_message' },
    { name: 'type is an array', send: { type: ['get_name'], id: 3, hero: 'hulk' }, code: 'invalid_message', id: 3 },
    {
      name: 'extra property',
      send: { type: 'get_name', id: 4, hero: 'hulk', admin: true },
      code: 'invalid_message',
      id: 4
    },
    {
      name: 'own __proto__ property',
      send: '{"type":"get_name","id":5,"hero":"hulk","__proto__":{"admin":true}}',
      code: 'invalid_message',
      id: 5
    },
    {
      name: 'type only inherited via __proto__',
      send: '{"__proto__":{"type":"get_name"},"hero":"hulk","id":6}',
      code: 'invalid_message',
      id: 6
    },
    { name: 'no hero', send: { type: 'get_name', id: 7 }, code: 'invalid_message', id: 7 },
    { name: 'hero is a number', send: { type: 'get_name', id: 8, hero: 42 }, code: 'invalid_message', id: 8 },
    { name: 'hero is null', send: { type: 'get_name', id: 9, hero: null }, code: 'invalid_message', id: 9 },
    {
      name: 'hero is an object',
      send: { type: 'get_name', id: 10, hero: { id: 'hulk' } },
      code: 'invalid_message',
      id: 10
    },
    { name: 'hero is an array', send: { type: 'get_name', id: 11, hero: ['hulk'] }, code: 'invalid_message', id: 11 },
    { name: 'hero is empty', send: { type: 'get_name', id: 12, hero: '' }, code: 'invalid_message', id: 12 },
    {
      name: 'hero of 65 characters',
      send: { type: 'get_name', id: 13, hero: 'h'.repeat(65) },
      code: 'invalid_message',
      id: 13
    },
    {
      name: 'hero of 4000 characters',
      send: { type: 'get_name', id: 14, hero: 'h'.repeat(4000) },
      code: 'invalid_message',
      id: 14
    },
    { name: 'id negative', send: { type: 'get_name', id: -1, hero: 'hulk' }, code: 'invalid_message' },
    { name: 'id float', send: { type: 'get_name', id: 1.5, hero: 'hulk' }, code: 'invalid_message' },
    { name: 'id string', send: { type: 'get_name', id: '15', hero: 'hulk' }, code: 'invalid_message' },
    { name: 'id null', send: { type: 'get_name', id: null, hero: 'hulk' }, code: 'invalid_message' },
    { name: 'id true', send: { type: 'get_name', id: true, hero: 'hulk' }, code: 'invalid_message' },
    { name: 'id 2^31', send: { type: 'get_name', id: 2147483648, hero: 'hulk' }, code: 'invalid_message' },
    { name: 'id 1e300', send: '{"type":"get_name","id":1e300,"hero":"hulk"}', code: 'invalid_message' },
    { name: 'id an object', send: { type: 'get_name', id: { valueOf: 1 }, hero: 'hulk' }, code: 'invalid_message' },
    { name: 'valid id, bad hero type', send: { type: 'get_name', id: 0, hero: false }, code: 'invalid_message', id: 0 }
  ])
})

t.test('unknown_type: only get_name is a client message; prototype names are just unknown', async (t) => {
  const server = await startTestServer(t, ENV)
  const client = await openAuthorised(t, server, await server.login())
  const types = [
    'get_hero',
    'GET_NAME',
    'name',
    'user_authorized',
    'error',
    '',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf'
  ]
  await expectErrors(
    t,
    client,
    types.map(
      (type, i) => ({
        name: `type ${JSON.stringify(type)}`,
        send: { type, id: 100 + i, hero: 'hulk' },
        code: 'unknown_type',
        id: 100 + i
      })
    )
  )
  await expectErrors(t, client, [{ name: 'unknown type without id', send: { type: 'nope' }, code: 'unknown_type' }])
})

t.test('unknown_hero: not in the catalogue, prototype names included', async (t) => {
  const server = await startTestServer(t, ENV)
  const client = await openAuthorised(t, server, await server.login())
  const heroes = [
    'superman',
    'ironman',
    'IRONMAN',
    ' ironMan',
    'ironMan ',
    'Iron Man',
    'Tony Stark',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'prototype',
    'size',
    'get',
    'has'
  ]
  await expectErrors(
    t,
    client,
    heroes.map(
      (hero, i) => ({
        name: `hero ${JSON.stringify(hero)}`,
        send: { type: 'get_name', id: 200 + i, hero },
        code: 'unknown_hero',
        id: 200 + i
      })
    )
  )
  await expectErrors(t, client, [
    { name: 'unknown hero without id', send: { type: 'get_name', hero: 'superman' }, code: 'unknown_hero' }
  ])
  t.match(
    await client.request({ type: 'get_name', hero: 'ironMan' }),
    { type: 'name', hero_name: 'Tony Stark' },
    'and the socket still answers'
  )
  t.equal(client.ws.readyState, client.ws.OPEN, 'unknown heroes do not count as invalid messages')
})

t.test('rate_limited carries retryAfterMs', async (t) => {
  const server = await startTestServer(t, { MESSAGE_RATE: '4', MESSAGE_BURST: '1' })
  const client = await openAuthorised(t, server, await server.login())
  t.match(await client.request({ type: 'get_name', hero: 'hulk' }), { type: 'name' })
  t.same(await client.request({ type: 'get_name', id: 1, hero: 'hulk' }), {
    type: 'error',
    code: 'rate_limited',
    message: 'Too many messages. Please slow down.',
    retryAfterMs: 250
  })
})

t.test('client input is never echoed in replies nor written to the logs', async (t) => {
  const server = await startTestServer(t, ENV)
  const client = await openAuthorised(t, server, await server.login())
  const marker = 'ZZ' + 'q'.repeat(60)
  const inputs: unknown[] = [
    { type: 'get_name', id: 1, hero: '<script>alert(1)</script>' },
    { type: 'get_name', id: 2, hero: marker },
    { type: 'get_name', id: 3, hero: marker + marker },
    { type: '<img src=x onerror=alert(1)>', id: 4, hero: 'hulk' },
    { type: marker, id: 5 },
    { type: 'get_name', id: 6, hero: 'hulk', [marker]: '<script>' },
    `{"type":"get_name","hero":"${marker}"`,
    `<script>${marker}</script>`,
    { type: 'get_name', id: 7, hero: '\u202e\u0000\ud800' }
  ]
  for (const input of inputs) {
    const reply = await client.request(input)
    const text = JSON.stringify(reply)
    t.equal(reply.type, 'error', `${JSON.stringify(input).slice(0, 60)}: an error`)
    t.notOk(/script|img|onerror|alert|ZZqq|\u202e/i.test(text), 'the reply contains none of the input')
  }
  t.notOk(/script|onerror|ZZqq/.test(server.logs.text), 'nothing of the input in the logs')
})
