// The handler table: every client message type has exactly one handler (a missing one does not
// compile, and a build older than schemas/ does not start), and get_name answers from the catalogue.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { assertHandlersMatch, handleMessage, HANDLERS } from '../../src/protocol/handlers.js'
import { Protocol } from '../../src/protocol/protocol.js'
import { ROOT } from '../helpers/http.js'

const context = { username: 'alice' }

t.test('get_name answers the real name, with the id; an unknown hero is unknown_hero', async (t) => {
  const iron = handleMessage('get_name', { type: 'get_name', id: 3, hero: 'ironMan' }, context)
  t.same(JSON.parse(iron.frame), { type: 'name', id: 3, hero: 'ironMan', hero_name: 'Tony Stark' })
  t.equal(iron.outcome, 'answered')
  t.same(
    JSON.parse(handleMessage('get_name', { type: 'get_name', hero: 'hulk' }, context).frame),
    { type: 'name', hero: 'hulk', hero_name: 'Bruce Banner' }
  )
  for (const hero of ['__proto__', 'constructor', 'nobody']) {
    const reply = handleMessage('get_name', { type: 'get_name', id: 4, hero }, context)
    t.match(JSON.parse(reply.frame), { type: 'error', id: 4, code: 'unknown_hero' }, hero)
    t.equal(reply.outcome, 'unknown_hero', `${hero}: counted as unknown_hero`)
  }
})

t.test('the table has a handler for exactly the client types of schemas/', async (t) => {
  t.same(Object.keys(HANDLERS).sort(), [...Protocol.load().clientTypes].sort())
  t.doesNotThrow(() => assertHandlersMatch(['get_name']))
  t.throws(
    () => assertHandlersMatch(['get_name', 'get_power']),
    /missing get_power/,
    'a schema without a handler stops start-up'
  )
  t.throws(() => assertHandlersMatch([]), /no schema for get_name/, 'a handler without a schema too')
})

t.test('a client message type without a handler does not compile', async (t) => {
  // A copy of src/ whose generated types have one more client message, get_power: the real
  // handlers.ts, which has no handler for it, must fail to type-check.
  const dir = fs.mkdtempSync(path.join(ROOT, 'dist', 'handler-check-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true })
  const generated = path.join(dir, 'src', 'protocol', 'generated', 'messages.ts')
  const withPower = fs.readFileSync(generated, 'utf8').replace(
    'export interface ClientMessages {\n',
    'export interface GetPowerMessage {\n  type: "get_power"\n  hero: string\n}\n\n' +
      'export interface ClientMessages {\n  get_power: GetPowerMessage\n'
  )
  t.match(withPower, 'get_power: GetPowerMessage', 'the copy has the new type')
  fs.writeFileSync(generated, withPower)
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const check = (): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [
    tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--skipLibCheck',
    path.join(dir, 'src', 'protocol', 'handlers.ts')
  ], { encoding: 'utf8' })
  const failed = check()
  t.not(failed.status, 0, 'tsc refuses handlers.ts')
  t.match(String(failed.stdout), /handlers\.ts.*Property 'get_power' is missing/s, 'naming the missing handler')
  fs.writeFileSync(generated, fs.readFileSync(path.join(ROOT, 'src', 'protocol', 'generated', 'messages.ts'), 'utf8'))
  t.equal(check().status, 0, 'and the same check passes on the real types')
})
