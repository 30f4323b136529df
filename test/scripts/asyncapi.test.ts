// The protocol as an AsyncAPI 3.0 document (docs/asyncapi.json, generated from schemas/ by the
// build): valid against the official AsyncAPI schema (@asyncapi/specs), current as committed, and holding
// every message of schemas/ with its schema as payload, received or sent as the schema says.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import specs from '@asyncapi/specs'
import { asyncApiSource } from '../../scripts/asyncapi.js'
import { PACKAGE_ROOT } from '../../src/config/package-root.js'
import { readProtocolSchemas } from '../../src/protocol/schema-files.js'

const FILE = path.join(PACKAGE_ROOT, 'docs', 'asyncapi.json')
const schemas = readProtocolSchemas()

t.test('docs/asyncapi.json as committed is current with schemas/ (npm run build writes it: commit it with ' +
  'them)', async (t) => {
  const expected = asyncApiSource(schemas, PACKAGE_ROOT)
  t.equal(fs.readFileSync(FILE, 'utf8'), expected, 'the working copy')
  // The build has just rewritten the working copy (pretest), so that alone proves nothing: the
  // copy git holds (staged, or as committed) must be the same, or a stale document would ship.
  const tracked = spawnSync('git', ['show', ':docs/asyncapi.json'], { cwd: PACKAGE_ROOT, encoding: 'utf8' })
  if (tracked.status !== 0 && !fs.existsSync(path.join(PACKAGE_ROOT, '.git'))) {
    return t.comment(
      'not a git checkout: only the working copy is checked'
    )
  }
  t.equal(
    tracked.stdout,
    expected,
    'the copy in git: after changing schemas/, npm run build and add docs/asyncapi.json'
  )
})

t.test('it is a valid AsyncAPI 3.0 document by the official schema', async (t) => {
  // The AsyncAPI schema bundles its own copy of the draft-07 meta-schema: ajv's is left out.
  const ajv = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false })
  addFormats.default(ajv)
  const validate = ajv.compile(specs.schemas['3.0.0'])
  const document = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, unknown>
  t.ok(validate(document), JSON.stringify(validate.errors?.slice(0, 5)))
  t.equal(document.asyncapi, '3.0.0')
})

t.test('every message of schemas/ is in it, with its schema, received or sent as the schema says', async (t) => {
  const document = JSON.parse(fs.readFileSync(FILE, 'utf8')) as {
    components: { messages: Record<string, { payload: unknown }> }
    operations: Record<string, { action: string, messages: Array<{ $ref: string }> }>
    channels: { heroes: { address: string } }
  }
  t.equal(document.channels.heroes.address, '/ws')
  t.same(Object.keys(document.components.messages).sort(), schemas.map((s) => s.type).sort())
  for (const s of schemas) {
    t.same(document.components.messages[s.type]?.payload, s.schema, `${s.type}: its schema is the payload`)
    const operation = Object.values(document.operations).find(
      (o) => o.messages.some((m) => m.$ref.endsWith(`/${s.type}`))
    )
    t.equal(
      operation?.action,
      s.from === 'client' ? 'receive' : 'send',
      `${s.type}: the server ${s.from === 'client' ? 'receives' : 'sends'} it`
    )
  }
})
