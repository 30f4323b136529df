// The password-hashing child process (forked by src/hashing-process.ts). argon2id runs here, at
// the lowest CPU priority, so a burst of logins (about 45 ms of CPU each) never delays the
// server's event loop: the kernel runs a hash only when the server has nothing to do. It answers
// HashRequest messages on the IPC channel and exits when its parent goes away.
import fs from 'node:fs'
import os from 'node:os'
import type { HashReply, HashRequest } from './hashing-process.js'

/** The nice value of every thread of this process: the lowest priority there is. */
export const HASH_WORKER_NICE = 19

// On Linux a nice value belongs to a thread, and new threads inherit it from the thread that
// creates them. Lower this thread first (libuv's pool threads, which run argon2, are created
// later from it), then every thread Node has already started.
os.setPriority(HASH_WORKER_NICE)
lowerExistingThreads()

// Listen before anything asynchronous, so no request sent at start-up waits on a missing listener.
const argon2 = import('argon2').then((module) => module.default)
process.on('message', (message: HashRequest) => {
  void answer(message).then((reply) => process.send?.(reply))
})
process.once('disconnect', () => process.exit(0))

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

function lowerExistingThreads (): void {
  let threads: string[]
  try {
    threads = fs.readdirSync('/proc/self/task')
  } catch {
    return // not Linux: the process-wide setPriority above is all there is
  }
  for (const tid of threads) {
    try {
      os.setPriority(Number(tid), HASH_WORKER_NICE)
    } catch {
      // the thread ended meanwhile
    }
  }
}
