// The SBOM of what runs in production: `npm sbom --sbom-format cyclonedx` (the whole locked tree,
// from package-lock.json and node_modules, offline) narrowed to the packages `npm ls --omit=dev`
// lists, written to dist/sbom.cdx.json. Not `npm sbom --omit=dev` itself: npm 11.19 drops a
// runtime package from it when a development tool carries another copy under the same name
// (`ws`, which socket.io brings for the benchmark), so its list would miss the WebSocket library.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

interface Component { 'bom-ref': string }
interface Dependency { ref: string, dependsOn?: string[] }
interface Sbom { components: Component[], dependencies?: Dependency[], metadata: { component: Component } }

/** `npm <args>`'s standard output, run in `root`. */
function npm (root: string, args: string[]): string {
  return execFileSync('npm', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
}

/** The runtime packages as `name@version` (the SBOM's bom-ref form), from `npm ls --omit=dev`. */
function runtimePackages (root: string): Set<string> {
  const lines = npm(root, ['ls', '--omit=dev', '--all', '--parseable', '--long']).split('\n')
  return new Set(lines.slice(1).map((line) => line.slice(line.lastIndexOf(':') + 1)).filter((ref) => ref !== ''))
}

/** The full SBOM with only the runtime packages in its components and dependency graph. */
export function runtimeSbom (root: string): Sbom {
  const sbom = JSON.parse(npm(root, ['sbom', '--sbom-format', 'cyclonedx'])) as Sbom
  const keep = runtimePackages(root)
  keep.add(sbom.metadata.component['bom-ref'])
  sbom.components = sbom.components.filter((c) => keep.has(c['bom-ref']))
  sbom.dependencies = (sbom.dependencies ?? [])
    .filter((d) => keep.has(d.ref))
    .map((d) => ({ ...d, dependsOn: (d.dependsOn ?? []).filter((ref) => keep.has(ref)) }))
  return sbom
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true })
  fs.writeFileSync(path.join(root, 'dist/sbom.cdx.json'), JSON.stringify(runtimeSbom(root), null, 2) + '\n')
}
