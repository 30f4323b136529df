// The password-hashing child process (forked by hashing-process.ts). argon2id runs here, at
// a lower CPU priority than the server, so a burst of logins (about 45 ms of CPU each) does not
// delay the server's event loop: when both want the CPU, the kernel runs the server. It answers
// HashRequest messages on the IPC channel and exits when its parent goes away, not on SIGINT.
import fs from 'node:fs'
import os from 'node:os'
import type { HashReply, HashRequest } from './hashing-process.js'

// The nice value comes from the parent, as the only argument (HASH_WORKER_NICE there).
const nice = Number(process.argv[2])
if (!Number.isInteger(nice) || nice < 0 || nice > 19) {
  throw new Error(`hash-worker: bad nice value ${String(process.argv[2])}`)
}

// On Linux a nice value belongs to a thread, and new threads inherit it from the thread that
// creates them. Lower this thread first (libuv's pool threads, which run argon2, are created
// later from it), then every thread Node has already started.
os.setPriority(nice)
lowerExistingThreads(nice)

// Listen before anything asynchronous, so no request sent at start-up waits on a missing listener.
const argon2 = import('argon2').then((module) => module.default)
process.on('message', (message: HashRequest) => {
  void answer(message).then((reply) => process.send?.(reply))
})
process.once('disconnect', () => process.exit(0))
// Ctrl-C on a terminal sends SIGINT to the whole process group, this child included: it stays
// until its parent, which is stopping, has finished with it and closes the channel (a parent that
// is killed closes it too, so this child never outlives it).
process.on('SIGINT', () => {})

async function answer (request: HashRequest): Promise<HashReply> {
  try {
    const { hash, verify, argon2id } = await argon2
    if (request.op === 'hash') {
      const value = await hash(request.password, { type: argon2id, ...request.params })
      return { id: request.id, ok: true, value }
    }
    let matches: boolean
    try {
      matches = await verify(request.hash, request.password)
    } catch {
      // A malformed stored hash matches no password; it is not a failure of this process.
      matches = false
    }
    return { id: request.id, ok: true, value: matches }
  } catch (err) {
    return { id: request.id, ok: false, error: (err as Error).message }
  }
}

function lowerExistingThreads (nice: number): void {
  let threads: string[]
  try {
    threads = fs.readdirSync('/proc/self/task')
  } catch {
    return // not Linux: the process-wide setPriority above is all there is
  }
  for (const tid of threads) {
    try {
      os.setPriority(Number(tid), nice)
    } catch {
      // the thread ended meanwhile
    }
  }
}
