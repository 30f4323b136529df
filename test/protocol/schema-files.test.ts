// The schema files are the protocol's one source of truth: each names its message type and its
// direction, and a file that does not say both stops the build and the server.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { readProtocolSchemas, SCHEMAS_DIR } from '../../src/protocol/schema-files.js'

t.test('each file names its type and direction', async (t) => {
  t.same(readProtocolSchemas().map((s) => [s.file, s.from, s.type, s.typeName]), [
    ['error.json', 'server', 'error', 'ErrorMessage'],
    ['get-name.json', 'client', 'get_name', 'GetNameMessage'],
    ['name.json', 'server', 'name', 'NameMessage'],
    ['user-authorized.json', 'server', 'user_authorized', 'UserAuthorizedMessage']
  ])
})

t.test('a file without a type constant or a direction is refused, naming the file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-schemas-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const name = JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, 'name.json'), 'utf8')) as Record<string, Record<string, unknown>>
  const file = path.join(dir, 'name.json')
  fs.writeFileSync(file, JSON.stringify({ ...name, properties: { ...name.properties, type: { type: 'string' } } }))
  t.throws(() => readProtocolSchemas(dir), /schemas\/name\.json: properties\.type\.const/)
  for (const title of ['name', 'name (server to server)', 'name (to client)']) {
    fs.writeFileSync(file, JSON.stringify({ ...name, title }))
    t.throws(() => readProtocolSchemas(dir), /schemas\/name\.json: the title must end with/, title)
  }
})
