// Runs argon2id in a child process (hash-worker.ts) at a lower CPU priority than the server,
// so that logins do not compete with the event loop for the CPU. Requests queue here and at most
// `concurrency` run in the child at once (npm run bench: with 4 checks at once in the server's own
// thread pool, a round trip's p99 during a login burst was 12-60 ms; one per CPU in the child,
// 3.7-5.5 ms). The queue is bounded in length and in waiting time: a request that finds it full,
// or that waited too long for its turn, fails with HashingBusyError rather than waiting without
// end. If the child dies, or holds a request past maxCheckMs (stopped, stuck), it is killed and
// a new one is started, and the requests it held are sent again once; not once the server is
// stopping (stopping()): a signal to the whole process group may end the child then, and that is
// neither a failure nor a reason for a new one.
import { fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PACKAGE_ROOT } from '../config/package-root.js'
import { argon2idCosts, type Argon2Costs, type Argon2Params } from './argon2-costs.js'

/** A request to the hashing process. */
export type HashRequest =
  | { id: number, op: 'hash', password: string, params: Argon2Costs }
  | { id: number, op: 'verify', hash: string, password: string }

/** Its answer: the hash, or whether the password matched; `ok: false` when argon2 failed. */
export type HashReply =
  | { id: number, ok: true, value: string | boolean }
  | { id: number, ok: false, error: string }

/** Thrown when the queue of waiting requests is full, or a request waited longer than maxWaitMs. */
export class HashingBusyError extends Error {
  override name = 'HashingBusyError'
}

export interface HashingProcessOptions {
  /** Requests run in the child at once (default: the CPUs this process may use). */
  readonly concurrency?: number
  /** Requests that may wait beyond those running; more fail with HashingBusyError (default 256). */
  readonly maxQueued?: number
  /** Longest wait for a turn in ms; a request that waited longer fails with HashingBusyError (default 10000). */
  readonly maxWaitMs?: number
  /**
   * Longest a request may run in the child, in ms: past it the child is taken as stuck, killed and
   * replaced (default 10000; a check takes tens of ms at the default costs). The clock starts when
   * the request is handed to the child, and covers a child that is still starting.
   */
  readonly maxCheckMs?: number
  /** Called when the child exits without being asked to, with its exit code or signal. */
  readonly onUnexpectedExit?: (how: string) => void
}

/**
 * Nice value of every thread of the hashing process. Below the server's (0), so the event loop
 * wins the CPU when both want it; not the lowest (19): a nice 10 process keeps about 10% of a core
 * that other work saturates, where nice 19 keeps 1.5% (a login then took 8.8 s instead of 1.3 s,
 * in the bench with two busy loops beside it).
 */
export const HASH_WORKER_NICE = 10

type Job = {
  readonly request: HashRequest
  readonly resolve: (value: string | boolean) => void
  readonly reject: (err: Error) => void
  readonly queuedAt: number
  attempts: number
  /** Kills a child that holds this request past maxCheckMs. */
  deadline?: NodeJS.Timeout
}

// The built worker (plain JavaScript): next to this file when built, and dist/ when the sources
// run under a TypeScript loader (tests; `npm test` builds first). Forking the .ts source instead
// would load the loader in every child, 1 to 2 s per start. The worker needs no Node flags or
// NODE_OPTIONS: an operator's (a tracing hook, a heap size, an inspector port) are the server's.
const WORKER = import.meta.url.endsWith('.ts')
  ? path.join(PACKAGE_ROOT, 'dist', 'src', 'accounts', 'hash-worker.js')
  : fileURLToPath(new URL('./hash-worker.js', import.meta.url))

function workerEnv (): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  return env
}

/** The parent's side of the hashing child process. */
export class HashingProcess {
  readonly #concurrency: number
  readonly #maxQueued: number
  readonly #maxWaitMs: number
  readonly #maxCheckMs: number
  readonly #onUnexpectedExit: ((how: string) => void) | undefined
  readonly #queue: Job[] = []
  readonly #running = new Map<number, Job>()
  #child: ChildProcess | undefined
  #nextId = 0
  #closed = false
  #stopping = false

  constructor (options: HashingProcessOptions = {}) {
    this.#concurrency = Math.max(1, options.concurrency ?? os.availableParallelism())
    this.#maxQueued = options.maxQueued ?? 256
    this.#maxWaitMs = options.maxWaitMs ?? 10_000
    this.#maxCheckMs = options.maxCheckMs ?? 10_000
    this.#onUnexpectedExit = options.onUnexpectedExit
    if (!fs.existsSync(WORKER)) throw new Error(`${WORKER} is missing: run npm run build`)
  }

  /** Process id of the running child, if one is running. */
  get pid (): number | undefined {
    return this.#child?.pid
  }

  /** True while a child is running and connected (readiness). */
  get running (): boolean {
    return this.#child !== undefined && this.#child.connected && this.#child.exitCode === null
  }

  /** Requests waiting for a turn (running ones not included). */
  get queueLength (): number {
    return this.#queue.length
  }

  /** Starts the child now rather than at the first request. */
  start (): void {
    if (this.#closed) throw new Error('the hashing process is closed')
    this.#child ??= this.#spawn()
  }

  /** An argon2id PHC string for `password`. */
  hash (password: string, params: Argon2Params): Promise<string> {
    return this.#submit({ op: 'hash', password, params: argon2idCosts(params) }) as Promise<string>
  }

  /** Whether `password` matches the PHC string `hash` (false for a malformed hash). */
  verify (hash: string, password: string): Promise<boolean> {
    return this.#submit({ op: 'verify', hash, password }) as Promise<boolean>
  }

  /**
   * The server is stopping: requests are still answered while the child runs, but a child that
   * exits from now on is neither replaced nor reported (onUnexpectedExit), and what it held fails.
   */
  stopping (): void {
    this.#stopping = true
  }

  /** Ends the child; requests not yet answered fail. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#failAll(new Error('the hashing process is closed'))
    const child = this.#child
    this.#child = undefined
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    // An idle child is unref'd: without this, nothing would keep this process alive until the
    // child's exit is seen, and close() would never settle.
    child.ref()
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.disconnect() // the worker exits on 'disconnect'
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
    await exited
    clearTimeout(timer)
  }

  #failAll (error: Error): void {
    for (const job of [...this.#queue, ...this.#running.values()]) {
      clearTimeout(job.deadline)
      job.reject(error)
    }
    this.#queue.length = 0
    this.#running.clear()
  }

  #submit (request: DistributiveOmit<HashRequest, 'id'>): Promise<string | boolean> {
    if (this.#closed) return Promise.reject(new Error('the hashing process is closed'))
    if (this.#stopping && this.#child === undefined && this.#running.size === 0) {
      return Promise.reject(new Error('the server is stopping'))
    }
    if (this.#running.size >= this.#concurrency && this.#queue.length >= this.#maxQueued) {
      return Promise.reject(new HashingBusyError(`${this.#queue.length} password checks are already waiting`))
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({
        request: { ...request, id: this.#nextId++ } as HashRequest,
        resolve,
        reject,
        queuedAt: performance.now(),
        attempts: 0
      })
      this.#dispatch()
    })
  }

  #dispatch (): void {
    while (this.#running.size < this.#concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift() as Job
      const waitedMs = performance.now() - job.queuedAt
      if (job.attempts === 0 && waitedMs > this.#maxWaitMs) {
        job.reject(new HashingBusyError(`waited ${Math.round(waitedMs)} ms for a turn`))
        continue
      }
      const child = this.#child ??= this.#spawn()
      job.attempts++
      this.#running.set(job.request.id, job)
      job.deadline = setTimeout(() => {
        if (this.#running.get(job.request.id) === job) child.kill('SIGKILL')
      }, this.#maxCheckMs)
      job.deadline.unref()
      child.send(job.request)
    }
    // An idle child must not keep the server's process alive on its own.
    if (this.#running.size === 0) this.#child?.unref()
    else this.#child?.ref()
  }

  #spawn (): ChildProcess {
    const child = fork(
      WORKER,
      [String(HASH_WORKER_NICE)],
      { execArgv: [], env: workerEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' }
    )
    child.on('message', (reply: HashReply) => this.#settle(reply))
    // 'error' comes when a send fails because the child is gone ('exit' handles that), or when
    // the child could not be started at all, with no 'exit' to follow.
    child.on('error', (err) => {
      if (child.pid === undefined) this.#childExited(child, `not started: ${err.message}`)
    })
    child.once('exit', (code, signal) => this.#childExited(child, signal ?? `code ${String(code)}`))
    child.unref()
    // The IPC channel would keep this process alive too; #dispatch refs the child while it works.
    ;(child.channel as unknown as { unref?: () => void } | undefined)?.unref?.()
    return child
  }

  #settle (reply: HashReply): void {
    const job = this.#running.get(reply.id)
    if (job === undefined) return
    clearTimeout(job.deadline)
    this.#running.delete(reply.id)
    if (reply.ok) job.resolve(reply.value)
    else job.reject(new Error(`argon2 failed: ${reply.error}`))
    this.#dispatch()
  }

  #childExited (child: ChildProcess, how: string): void {
    if (this.#child !== child) return // closed, or already replaced
    this.#child = undefined
    if (this.#stopping) return void this.#failAll(new Error(`the hashing process exited (${how}) as the server stops`))
    this.#onUnexpectedExit?.(how)
    // Each interrupted request is tried once more on a new child; a request that was already
    // retried is what killed it twice, and fails.
    const interrupted = [...this.#running.values()]
    this.#running.clear()
    for (const job of interrupted.reverse()) {
      clearTimeout(job.deadline)
      if (job.attempts >= 2) job.reject(new Error(`the hashing process exited (${how})`))
      else this.#queue.unshift(job)
    }
    // A child that ran is replaced at once (readiness asks for one); one that could not even
    // start is tried again at the next request, not in a loop.
    if (!this.#closed && !how.startsWith('not started')) this.#child = this.#spawn()
    this.#dispatch()
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
