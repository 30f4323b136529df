// The tests type-check too. tap runs them transpile-only, so a test that calls an API with the
// wrong types would still run and could pass for the wrong reason; test/tsconfig.json checks them
// (and the helpers, and the client code they import) with the same strict settings as src/.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { ROOT } from './helpers/http.js'

t.test('test/ type-checks with the strict settings of src/', async (t) => {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await promisify(execFile)(
    process.execPath,
    [tsc, '-p', path.join(ROOT, 'test', 'tsconfig.json')],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }
  )
    .then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code?: number, stdout?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? '' })
    )
  t.equal(result.code, 0, 'tsc -p test/tsconfig.json finds no error')
  t.equal(result.stdout.trim(), '', 'and prints nothing')
})
