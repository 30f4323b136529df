// Protocol without a server: the schemas compile in strict mode, split by the direction their
// files say, and parse() maps each bad frame to its code (id only when a valid integer).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { MessageErrorCode } from '../../src/errors.js'
import { HEROES } from '../../src/protocol/heroes.js'
import { Protocol } from '../../src/protocol/protocol.js'
import { readProtocolSchemas, SCHEMAS_DIR } from '../../src/protocol/schema-files.js'

const protocol = Protocol.load()

t.test('the types of each side are the ones the schema files name', async (t) => {
  const schemas = readProtocolSchemas()
  t.same([...protocol.clientTypes].sort(), schemas.filter((s) => s.from === 'client').map((s) => s.type).sort())
  t.same([...protocol.serverTypes].sort(), schemas.filter((s) => s.from === 'server').map((s) => s.type).sort())
  t.ok(protocol.clientTypes.includes('get_name') && protocol.serverTypes.includes('error'))
})

t.test('load() refuses an unknown keyword, and two schemas for one message', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-schemas-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  for (const file of fs.readdirSync(SCHEMAS_DIR)) fs.copyFileSync(path.join(SCHEMAS_DIR, file), path.join(dir, file))
  const nameFile = path.join(dir, 'name.json')
  const name = JSON.parse(fs.readFileSync(nameFile, 'utf8')) as Record<string, unknown>
  fs.writeFileSync(nameFile, JSON.stringify({ ...name, maxLenght: 3 }))
  t.throws(() => Protocol.load(dir), /unknown keyword/, 'strict mode: a typo is a start-up error')
  fs.writeFileSync(nameFile, JSON.stringify(name))
  fs.writeFileSync(path.join(dir, 'name-again.json'), JSON.stringify({ ...name, $id: 'hero-socket/name-again.json' }))
  t.throws(() => Protocol.load(dir), /two schemas describe the server message name/)
})

t.test('parse: valid get_name', async (t) => {
  t.same(protocol.parse('{"type":"get_name","hero":"hulk"}'), { ok: true, message: { type: 'get_name', hero: 'hulk' } })
  t.same(
    protocol.parse('{"type":"get_name","id":0,"hero":"hulk"}'),
    { ok: true, message: { type: 'get_name', id: 0, hero: 'hulk' } }
  )
  t.same(
    protocol.parse(JSON.stringify({ type: 'get_name', id: 2147483647, hero: 'x'.repeat(64) })),
    { ok: true, message: { type: 'get_name', id: 2147483647, hero: 'x'.repeat(64) } }
  )
})

t.test('parse: each bad frame gets its code; the id only when it is an integer 0..2^31-1', async (t) => {
  const cases: Array<[string, MessageErrorCode, number | undefined]> = [
    ['', 'invalid_json', undefined],
    ['{', 'invalid_json', undefined],
    ['{"id":1', 'invalid_json', undefined],
    ['[]', 'invalid_message', undefined],
    ['null', 'invalid_message', undefined],
    ['7', 'invalid_message', undefined],
    ['"x"', 'invalid_message', undefined],
    ['{"id":1}', 'invalid_message', 1],
    ['{"type":5,"id":2}', 'invalid_message', 2],
    ['{"type":"get_name","id":3}', 'invalid_message', 3],
    ['{"type":"get_name","id":4,"hero":"hulk","x":1}', 'invalid_message', 4],
    ['{"type":"get_name","id":5,"hero":""}', 'invalid_message', 5],
    [JSON.stringify({ type: 'get_name', id: 6, hero: 'x'.repeat(65) }), 'invalid_message', 6],
    ['{"type":"get_name","id":-1,"hero":"hulk"}', 'invalid_message', undefined],
    ['{"type":"get_name","id":1.5,"hero":"hulk"}', 'invalid_message', undefined],
    ['{"type":"get_name","id":"7","hero":"hulk"}', 'invalid_message', undefined],
    ['{"type":"get_name","id":2147483648,"hero":"hulk"}', 'invalid_message', undefined],
    ['{"type":"get_name","id":9007199254740993,"hero":"hulk"}', 'invalid_message', undefined],
    ['{"type":"get_name","id":[8],"hero":"hulk"}', 'invalid_message', undefined],
    ['{"__proto__":{"id":9,"type":"get_name"},"hero":"hulk"}', 'invalid_message', undefined],
    ['{"type":"get_name","hero":"hulk","__proto__":{}}', 'invalid_message', undefined],
    ['{"type":"nope","id":10}', 'unknown_type', 10],
    ['{"type":"__proto__","id":11}', 'unknown_type', 11],
    ['{"type":"constructor"}', 'unknown_type', undefined],
    ['{"type":"toString"}', 'unknown_type', undefined],
    ['{"type":"hasOwnProperty"}', 'unknown_type', undefined]
  ]
  for (const [text, code, id] of cases) t.same(protocol.parse(text), { ok: false, code, id }, text.slice(0, 60))
})

t.test('parse: prototype names as heroes are valid requests (the catalogue answers unknown_hero)', async (t) => {
  for (const hero of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const parsed = protocol.parse(JSON.stringify({ type: 'get_name', hero }))
    t.same(parsed, { ok: true, message: { type: 'get_name', hero } })
    t.equal(HEROES.get(hero), undefined, `${hero} is no hero`)
  }
})

t.test('isValidServerMessage refuses what the schemas refuse', async (t) => {
  t.notOk(protocol.isValidServerMessage({ type: 'name', hero: 'hulk' } as { type: string }), 'missing hero_name')
  t.notOk(
    protocol.isValidServerMessage({ type: 'error', code: 'nope', message: 'x' } as { type: string }),
    'unknown code'
  )
  t.notOk(protocol.isValidServerMessage({ type: 'get_name', hero: 'hulk' } as { type: string }), 'a client message')
  t.notOk(protocol.isValidServerMessage({ type: 'toString' }), 'a prototype name')
})
