// Reading redis-server's INFO text: calls per command (INFO commandstats) and the memory it uses
// (INFO memory). Commands that Lua scripts run count in commandstats as well as the EVALSHA that
// ran them, so a script call of five commands counts six.
import type { RedisCommands } from './messages.js'

/** Commands the benchmark itself sends to read the numbers, left out of every count. */
const OWN_COMMANDS: ReadonlySet<string> = new Set(['info'])

/** Calls so far per command, from INFO commandstats (`cmdstat_hmget:calls=3,usec=…`). */
export function parseCommandStats (text: string): Map<string, number> {
  const calls = new Map<string, number>()
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1] as string, Number(match[2]))
  }
  return calls
}

/** The commands run between two commandstats snapshots, leaving out the benchmark's own. */
export function commandsBetween (
  before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>
): RedisCommands {
  const byCommand: Record<string, number> = {}
  let total = 0
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0)
    if (delta <= 0 || OWN_COMMANDS.has(name)) continue
    byCommand[name] = delta
    total += delta
  }
  return { total, byCommand }
}

/** used_memory from INFO memory: bytes the server has allocated for its data and clients. */
export function usedMemoryBytes (text: string): number {
  const match = /^used_memory:(\d+)/m.exec(text)
  if (match?.[1] === undefined) throw new Error('INFO memory has no used_memory')
  return Number(match[1])
}

/** The server's pid, from INFO server (`process_id:1234`); undefined when the text has none. */
export function processIdOf (text: string): number | undefined {
  const match = /^process_id:(\d+)/m.exec(text)
  return match?.[1] === undefined ? undefined : Number(match[1])
}
