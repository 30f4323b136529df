// Runs argon2id in a child process at the lowest CPU priority (src/hash-worker.ts), so that
// logins never compete with the event loop for the CPU. Requests queue here, at most
// `concurrency` run in the child at once, and the queue is bounded in length and in waiting
// time: a request that finds it full, or that waited too long for its turn (a CPU saturated by
// other work leaves a nice 19 process little), fails with HashingBusyError rather than waiting
// without end. If the child dies, a new one is started and the requests it held are sent again once.
import { fork, type ChildProcess } from 'node:child_process'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import type { Argon2Params } from './password-hasher.js'

/** A request to the hashing process. */
export type HashRequest =
  | { id: number, op: 'hash', password: string, params: { memoryCost: number, timeCost: number, parallelism: number } }
  | { id: number, op: 'verify', hash: string, password: string }

/** Its answer: the hash, or whether the password matched; `ok: false` when argon2 failed. */
export type HashReply =
  | { id: number, ok: true, value: string | boolean }
  | { id: number, ok: false, error: string }

/** Thrown when the queue of waiting requests is full. */
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
  /** Called when the child exits without being asked to, with its exit code or signal. */
  readonly onUnexpectedExit?: (how: string) => void
}

type Job = {
  readonly request: HashRequest
  readonly resolve: (value: string | boolean) => void
  readonly reject: (err: Error) => void
  readonly queuedAt: number
  attempts: number
}

// The worker next to this file: .ts when the sources run under a TypeScript loader (tests),
// .js when built. The child inherits Node's flags (so the loader too), but never an inspector
// port or a CPU profile of ours.
const WORKER = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './hash-worker.ts' : './hash-worker.js', import.meta.url))
const childExecArgv = (): string[] => process.execArgv.filter((arg) => !/^--(inspect|cpu-prof|heap-prof)/.test(arg))

/** The parent's side of the hashing child process. */
export class HashingProcess {
  readonly #concurrency: number
  readonly #maxQueued: number
  readonly #maxWaitMs: number
  readonly #onUnexpectedExit: ((how: string) => void) | undefined
  readonly #queue: Job[] = []
  readonly #running = new Map<number, Job>()
  #child: ChildProcess | undefined
  #nextId = 0
  #closed = false

  constructor (options: HashingProcessOptions = {}) {
    this.#concurrency = Math.max(1, options.concurrency ?? os.availableParallelism())
    this.#maxQueued = options.maxQueued ?? 256
    this.#maxWaitMs = options.maxWaitMs ?? 10_000
    this.#onUnexpectedExit = options.onUnexpectedExit
  }

  /** Process id of the running child, if one is running. */
  get pid (): number | undefined {
    return this.#child?.pid
  }

  /** Starts the child now rather than at the first request. */
  start (): void {
    if (this.#closed) throw new Error('the hashing process is closed')
    this.#child ??= this.#spawn()
  }

  /** An argon2id PHC string for `password`. */
  hash (password: string, params: Argon2Params): Promise<string> {
    const request = { op: 'hash', password, params: { memoryCost: params.memoryKiB, timeCost: params.timeCost, parallelism: params.parallelism } } as const
    return this.#submit(request) as Promise<string>
  }

  /** Whether `password` matches the PHC string `hash` (false for a malformed hash). */
  verify (hash: string, password: string): Promise<boolean> {
    return this.#submit({ op: 'verify', hash, password }) as Promise<boolean>
  }

  /** Ends the child; requests not yet answered fail. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const error = new Error('the hashing process is closed')
    for (const job of [...this.#queue, ...this.#running.values()]) job.reject(error)
    this.#queue.length = 0
    this.#running.clear()
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

  #submit (request: DistributiveOmit<HashRequest, 'id'>): Promise<string | boolean> {
    if (this.#closed) return Promise.reject(new Error('the hashing process is closed'))
    if (this.#running.size >= this.#concurrency && this.#queue.length >= this.#maxQueued) {
      return Promise.reject(new HashingBusyError(`${this.#queue.length} password checks are already waiting`))
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ request: { ...request, id: this.#nextId++ } as HashRequest, resolve, reject, queuedAt: performance.now(), attempts: 0 })
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
      this.#child ??= this.#spawn()
      job.attempts++
      this.#running.set(job.request.id, job)
      this.#child.send(job.request)
    }
    // An idle child must not keep the server's process alive on its own.
    if (this.#running.size === 0) this.#child?.unref()
    else this.#child?.ref()
  }

  #spawn (): ChildProcess {
    const child = fork(WORKER, [], { execArgv: childExecArgv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' })
    child.on('message', (reply: HashReply) => this.#settle(reply))
    // 'error' is also emitted when a send fails because the child is gone; 'exit' handles that.
    child.on('error', () => {})
    child.once('exit', (code, signal) => this.#childExited(child, signal ?? `code ${String(code)}`))
    child.unref()
    // The IPC channel would keep this process alive too; #dispatch refs the child while it works.
    ;(child.channel as unknown as { unref?: () => void } | undefined)?.unref?.()
    return child
  }

  #settle (reply: HashReply): void {
    const job = this.#running.get(reply.id)
    if (job === undefined) return
    this.#running.delete(reply.id)
    if (reply.ok) job.resolve(reply.value)
    else job.reject(new Error(`argon2 failed: ${reply.error}`))
    this.#dispatch()
  }

  #childExited (child: ChildProcess, how: string): void {
    if (this.#child !== child) return // closed, or already replaced
    this.#child = undefined
    this.#onUnexpectedExit?.(how)
    // Each interrupted request is tried once more on a new child; a request that was already
    // retried is what killed it twice, and fails.
    const interrupted = [...this.#running.values()]
    this.#running.clear()
    for (const job of interrupted.reverse()) {
      if (job.attempts >= 2) job.reject(new Error(`the hashing process exited (${how})`))
      else this.#queue.unshift(job)
    }
    this.#dispatch()
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
