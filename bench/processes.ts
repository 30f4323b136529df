// Child processes of the benchmark: each runs under bash (to raise its file-descriptor limit)
// and taskset (to pin it to one core), keeps an IPC channel to the runner, and has its output
// kept (the last lines, for error messages) so a full pipe never blocks it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'

/** Descriptors asked for; the machine's hard limit wins when it is lower. */
const WANTED_FILE_DESCRIPTORS = 65_536
const RAISE_LIMIT = `ulimit -n ${WANTED_FILE_DESCRIPTORS} 2>/dev/null || ulimit -n "$(ulimit -Hn)"`
const OUTPUT_LINES_KEPT = 40

/** The open-files limit a child process gets. */
export function childFileLimit (): number {
  const result = spawnSync('bash', ['-c', `${RAISE_LIMIT}; ulimit -n`], { encoding: 'utf8' })
  const value = result.stdout.trim()
  return value === 'unlimited' ? Infinity : Number(value)
}

/** True when `taskset` (util-linux) can pin processes here. */
export function canPin (): boolean {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0
}

/**
 * Keeps `cores` out of their idle state while the benchmark runs: one busy loop per core under
 * SCHED_IDLE (chrt -i 0), which runs only when nothing else wants the core and is preempted at
 * once when something does. On this VM an idle vCPU takes milliseconds to wake (a paced TCP
 * ping-pong shows p99 27 ms idle, 2.5 ms kept awake), which would otherwise decide every
 * latency figure measured below full load. Each loop ends by itself when this process is gone.
 * @returns a function that stops the loops, or undefined when chrt or taskset is missing
 */
export function keepCoresAwake (cores: readonly number[]): (() => void) | undefined {
  if (spawnSync('chrt', ['-i', '0', 'true']).status !== 0 || !canPin()) return undefined
  const busyLoop = 'while kill -0 "$0" 2>/dev/null; do for i in {1..5000}; do :; done; done'
  const loops = cores.map((core) => spawn('chrt', ['-i', '0', 'taskset', '-c', String(core), 'bash', '-c',
    busyLoop, String(process.pid)], { stdio: 'ignore' }))
  return () => { for (const loop of loops) loop.kill('SIGTERM') }
}

/** How a BenchProcess is started. */
export interface BenchProcessOptions {
  /** The core it is pinned to; undefined: not pinned. */
  core: number | undefined
  nodeArgs?: readonly string[]
  /** The complete environment of the child. */
  env: NodeJS.ProcessEnv
  /** Copy its output to our stderr, prefixed with its name. */
  echo?: boolean
}

/** A running child with an IPC channel. */
export class BenchProcess {
  readonly name: string
  readonly child: ChildProcess
  readonly #output: string[] = []
  readonly exited: Promise<number | null>

  /**
   * Starts `node [nodeArgs] script` pinned to `core` (or unpinned when `core` is undefined).
   * @param env the complete environment of the child
   * @param echo copy its output to our stderr, prefixed with its name
   */
  constructor (name: string, script: string, options: BenchProcessOptions) {
    this.name = name
    const pin = options.core === undefined ? '' : `taskset -c ${options.core} `
    const command = `${RAISE_LIMIT}; exec ${pin}"$@"`
    this.child = spawn('bash', ['-c', command, name, process.execPath, ...(options.nodeArgs ?? []), script], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: options.env
    })
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8')
      stream?.on('data', (text: string) => {
        for (const line of text.split('\n')) {
          if (line === '') continue
          this.#output.push(line)
          if (this.#output.length > OUTPUT_LINES_KEPT) this.#output.shift()
          if (options.echo === true) process.stderr.write(`[${name}] ${line}\n`)
        }
      })
    }
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null)
  }

  /** Its last lines of output, for an error message. */
  get outputTail (): string {
    return this.#output.slice(-12).join('\n')
  }

  send (message: unknown): void {
    this.child.send(message as object)
  }

  /**
   * Waits for the first IPC message that `accept` returns a value for.
   * @throws when the process exits first or after `timeoutMs`
   */
  waitFor<T> (accept: (message: unknown) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer)
        this.child.off('message', onMessage)
        this.child.off('exit', onExit)
      }
      const onMessage = (message: unknown): void => {
        const value = accept(message)
        if (value === undefined) return
        cleanup()
        resolve(value)
      }
      const onExit = (code: number | null): void => {
        cleanup()
        reject(new Error(`${this.name} exited (${code ?? 'signal'}) while waiting for ${what}\n${this.outputTail}`))
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`${this.name}: no ${what} within ${Math.round(timeoutMs / 1000)} s\n${this.outputTail}`))
      }, timeoutMs)
      this.child.on('message', onMessage)
      this.child.on('exit', onExit)
    })
  }

  /**
   * Asks it to stop (sends `message`, or closes the IPC channel when there is none), then
   * kills this one process if it lingers.
   */
  async stop (message?: unknown, graceMs = 8000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    if (!this.child.connected) this.child.kill('SIGTERM')
    else if (message === undefined) this.child.disconnect()
    else this.child.send(message as object)
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }
}
