// Summarises a V8 CPU profile (from BENCH_CPU_PROF=<dir> npm run bench, or node --cpu-prof):
// the functions with the most self time, self time per package, and the time spent in and under
// our own code (src/) by the src function nearest the sample, leaving out what runs under ws's
// handleUpgrade (bare ws does that too). Idle time, and the profiler's own work under
// bench/server-control.js, are left out.
// Usage: node dist/bench/profile-summary.js <file.cpuprofile> [top=25]
import fs from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}
interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

/** Where a frame's code lives: a package, our code (src/, bench/), Node itself, or V8. */
function ownerOf (url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg?.[1] !== undefined) return pkg[1]
  if (url.startsWith('node:')) return 'node'
  const own = /\/dist\/(src|bench)\//.exec(url) ?? /\/(src|bench)\//.exec(url)
  return own?.[1] !== undefined ? `${own[1]}/` : url
}

function location (url: string, line: number): string {
  if (url === '') return ''
  const short = url
    .replace(/^file:\/\/.*?\/node_modules\//, '')
    .replace(/^file:\/\/.*?\/dist\//, '')
    .replace(/^node:/, 'node:')
  return `${short}:${line + 1}`
}

/** True for a frame of our own server code (src/, built or not). */
const isOwn = (url: string): boolean => /\/(dist\/)?src\//.test(url) && !url.includes('/node_modules/')
/** ws's part of a handshake, which the bare ws server runs too. */
const isWsUpgrade = (frame: ProfileNode['callFrame']): boolean =>
  frame.url.endsWith('/ws/lib/websocket-server.js') &&
  (frame.functionName === 'handleUpgrade' || frame.functionName === 'completeUpgrade')

/**
 * Self time in microseconds per function and per owner, and the time under our own code per
 * innermost src function (inclusive, ws's upgrade left out).
 */
/** Microseconds by name, largest first. */
type Times = Array<[string, number]>

function summarise (profile: CpuProfile): { totalUs: number, functions: Times, owners: Times, own: Times } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parentOf = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
  const underProfiler = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      if (byId.get(at)?.callFrame.url.endsWith('/bench/server-control.js') === true) return true
    }
    return false
  }
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const functions = new Map<string, number>()
  const owners = new Map<string, number>()
  const own = new Map<string, number>()
  const nameOf = ({ functionName, url, lineNumber }: ProfileNode['callFrame']): string =>
    `${functionName || '(anonymous)'}  ${location(url, lineNumber)}`.trim()
  let totalUs = 0
  for (const [id, us] of self) {
    const node = byId.get(id)
    if (node === undefined) continue
    const { functionName, url } = node.callFrame
    if (functionName === '(idle)' || underProfiler(id)) continue
    totalUs += us
    const key = nameOf(node.callFrame)
    functions.set(key, (functions.get(key) ?? 0) + us)
    const owner = ownerOf(url, functionName)
    owners.set(owner, (owners.get(owner) ?? 0) + us)
    // Walk up to the nearest src frame; a sample under ws's upgrade on the way is ws's work.
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)?.callFrame
      if (frame === undefined || isWsUpgrade(frame)) break
      if (isOwn(frame.url)) {
        own.set(nameOf(frame), (own.get(nameOf(frame)) ?? 0) + us)
        break
      }
    }
  }
  const sorted = (m: Map<string, number>): Array<[string, number]> => [...m].sort((a, b) => b[1] - a[1])
  return { totalUs, functions: sorted(functions), owners: sorted(owners), own: sorted(own) }
}

function main (): void {
  const [file, topText] = process.argv.slice(2)
  if (file === undefined) {
    process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]\n')
    process.exit(2)
  }
  const top = Number(topText ?? 25)
  const { totalUs, functions, owners, own } = summarise(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile)
  const pct = (us: number): string => `${(us / totalUs * 100).toFixed(1).padStart(5)}%`
  const row = ([name, us]: [string, number]): string =>
    `  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`
  const out = [`${file}: ${(totalUs / 1000).toFixed(0)} ms busy (idle excluded)`, '', 'self time by function:']
  out.push(...functions.slice(0, top).map(row))
  out.push('', 'self time by package:')
  out.push(...owners.slice(0, 15).map(row))
  const ownUs = own.reduce((sum, [, us]) => sum + us, 0)
  out.push('', 'time in and under src/ (inclusive, ws\'s handleUpgrade left out), by the nearest src function: ' +
    `${pct(ownUs).trim()} in all`)
  out.push(...own.slice(0, 15).map(row))
  process.stdout.write(out.join('\n') + '\n')
}

main()
