// `npm run sbom` (scripts/sbom.ts, docs/supply-chain.md): a CycloneDX SBOM of what runs in
// production, written offline from package-lock.json and node_modules. It lists every runtime
// dependency at its locked version with its SHA-512 (ws too, which `npm sbom --omit=dev` drops),
// and none of the tools that only build and test; the lockfile pins every package with an
// integrity hash, so `npm ci` installs nothing else.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ROOT } from '../helpers/http.js'

interface Component { name: string, version: string, hashes?: Array<{ alg: string, content: string }> }
interface Lock { packages: Record<string, { version?: string, integrity?: string, link?: boolean }> }

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>, devDependencies: Record<string, string>
}
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lock

t.test('npm run sbom writes a CycloneDX SBOM of the runtime dependencies, offline', async (t) => {
  execFileSync('npm', ['run', '--silent', 'sbom'], {
    cwd: ROOT,
    // No registry: the SBOM comes from the lockfile and node_modules alone.
    env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_offline: 'true' },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  const sbom = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/sbom.cdx.json'), 'utf8')) as {
    bomFormat: string, components: Component[]
  }
  t.equal(sbom.bomFormat, 'CycloneDX')
  const components = new Map(sbom.components.map((c) => [c.name, c]))
  for (const name of Object.keys(pkg.dependencies)) {
    const component = components.get(name)
    t.equal(component?.version, lock.packages[`node_modules/${name}`]?.version, `${name} at its locked version`)
    t.ok(component?.hashes?.some((h) => h.alg === 'SHA-512'), `${name} with its SHA-512`)
  }
  for (const name of ['tap', 'typescript', 'eslint', 'playwright-core']) {
    t.notOk(components.has(name), `${name} (development only) is not in it`)
  }
})

t.test('the lockfile pins every package with a SHA-512 integrity hash', async (t) => {
  const unpinned = Object.entries(lock.packages)
    .filter(([where, entry]) => where !== '' && entry.link !== true && !(entry.integrity ?? '').startsWith('sha512-'))
    .map(([where]) => where)
  t.same(unpinned, [])
  t.ok(Object.keys(lock.packages).length > 100)
})
