// The build step that turns schemas/ into code: the generated files (the server's message types,
// the client's validators and types) are current with schemas/, and the client's validators load
// in a browser without a bundler.
import fs from 'node:fs'
import t from 'tap'
import { generatedFiles, validatorsSource } from '../../scripts/generate-protocol.js'
import { PACKAGE_ROOT } from '../../src/config/package-root.js'
import { readProtocolSchemas } from '../../src/protocol/schema-files.js'

const schemas = readProtocolSchemas()

t.test('every generated file is current with schemas/ (npm run build writes them)', async (t) => {
  const files = generatedFiles(PACKAGE_ROOT, schemas)
  t.equal(files.size, 4)
  for (const [file, text] of files) t.equal(fs.readFileSync(file, 'utf8'), text, file.slice(PACKAGE_ROOT.length))
})

t.test('the client validators need no import', async (t) => {
  t.notMatch(validatorsSource(schemas), /\brequire\(|^import /m)
})

t.test('the server types list each side\'s messages by type', async (t) => {
  const text = [...generatedFiles(PACKAGE_ROOT, schemas).values()][0] ?? ''
  const table = (
    from: string
  ): string => schemas.filter((s) => s.from === from).map((s) => `  ${s.type}: ${s.typeName}\n`).join('')
  t.ok(text.includes(`export interface ClientMessages {\n${table('client')}}`), 'ClientMessages')
  t.ok(text.includes(`export interface ServerMessages {\n${table('server')}}`), 'ServerMessages')
  t.ok(text.includes('  get_name: GetNameMessage\n'))
})
