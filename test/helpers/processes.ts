// What the tests of the hashing child read about other processes in /proc (Linux): the nice
// value of each thread, a process's children, and whether a process is gone.
import fs from 'node:fs'

/** Nice value of every thread of process `pid`, by thread id. */
export function threadNices (pid: number): Map<number, number> {
  const nices = new Map<number, number>()
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const nice = threadNice(pid, Number(tid))
    if (nice !== undefined) nices.set(Number(tid), nice)
  }
  return nices
}

/** Nice value of thread `tid` of process `pid`; undefined once the thread has ended. */
export function threadNice (pid: number, tid: number): number | undefined {
  let stat: string
  try {
    stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // Field 2, the command name, is in parentheses and may hold spaces and ')': count from the last
  // ')'. What follows starts at field 3 (state); nice is field 19.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[19 - 3])
}

/**
 * Process ids of the children of `pid` (every thread's /proc children list); none for a process or
 * thread that exits while it is read (a cluster stopping while a test looks at it).
 */
export function childPids (pid: number): number[] {
  const children: number[] = []
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const list = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim()
      if (list !== '') children.push(...list.split(' ').map(Number))
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
  return children
}

/** The command line of `pid`, arguments joined by spaces. */
export function commandLine (pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
}

/**
 * True when no process `pid` runs: kill(pid, 0) fails with ESRCH, or it is a zombie. A child
 * whose parent exited first is reparented to init, which may take a while to reap it.
 */
export function isGone (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true
    throw err
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true // reaped between the two checks
  }
}

/** Polls until `pid` is gone (see isGone); resolves false if it still runs after `timeoutMs`. */
export async function waitUntilGone (pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!isGone(pid)) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return true
}
