// The schema files are the protocol's one source of truth: each names its message type and its
// direction, a file that does not say both stops the build and the server, and each gives the
// description and the example docs/protocol.md shows.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { schemaExample } from '../../scripts/docs/protocol.js'
import { Protocol } from '../../src/protocol/protocol.js'
import { readProtocolSchemas, SCHEMAS_DIR } from '../../src/protocol/schema-files.js'

t.test('each file names its type and direction; its file and type names follow from the type', async (t) => {
  const schemas = readProtocolSchemas()
  t.ok(schemas.some((s) => s.from === 'client') && schemas.some((s) => s.from === 'server'), 'both sides have messages')
  t.same(schemas.find((s) => s.type === 'get_name'), {
    file: 'get-name.json',
    type: 'get_name',
    from: 'client',
    typeName: 'GetNameMessage',
    validatorName: 'validateGetName',
    schema: schemas.find((s) => s.file === 'get-name.json')?.schema
  })
  for (const s of schemas) {
    t.equal(s.file, `${s.type.replace(/_/g, '-')}.json`, `${s.file}: the file is named after its type`)
    t.match(
      s.schema.title,
      new RegExp(`^${s.type} \\(${s.from} to (client|server)\\)$`),
      `${s.file}: the title starts with the type`
    )
    t.equal(s.schema.$id, `hero-socket/${s.file}`, `${s.file}: its $id`)
  }
})

t.test('a file without a type constant or a direction is refused, naming the file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-schemas-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const name = JSON.parse(
    fs.readFileSync(path.join(SCHEMAS_DIR, 'name.json'), 'utf8')
  ) as Record<string, Record<string, unknown>>
  const file = path.join(dir, 'name.json')
  fs.writeFileSync(file, JSON.stringify({ ...name, properties: { ...name.properties, type: { type: 'string' } } }))
  t.throws(() => readProtocolSchemas(dir), /schemas\/name\.json: properties\.type\.const/)
  for (const title of ['name', 'name (server to server)', 'name (to client)']) {
    fs.writeFileSync(file, JSON.stringify({ ...name, title }))
    t.throws(() => readProtocolSchemas(dir), /schemas\/name\.json: the title must end with/, title)
  }
})

t.test('each file says what its message is for and gives an example that passes its schema (docs/protocol.md shows ' +
  'both)', async (t) => {
  const protocol = Protocol.load()
  for (const s of readProtocolSchemas()) {
    t.ok(typeof s.schema.description === 'string' && s.schema.description.length > 0, `${s.file}: a description`)
    const example = schemaExample(s)
    t.equal((JSON.parse(example) as { type: string }).type, s.type, `${s.file}: the example is a ${s.type}`)
    if (s.from === 'client') t.match(protocol.parse(example), { ok: true }, `${s.type}: the example parses`)
    else t.ok(protocol.isValidServerMessage(JSON.parse(example) as { type: string }), `${s.type}: the example is valid`)
  }
})

t.test('a file without an example stops the docs, naming the file', async (t) => {
  const [first] = readProtocolSchemas()
  if (first === undefined) throw new Error('no schema files')
  const { examples: _examples, ...bare } = first.schema
  t.throws(() => schemaExample({ ...first, schema: bare }), /schemas\/.+\.json: give the message an example/)
})
