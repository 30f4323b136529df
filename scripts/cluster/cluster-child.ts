// One program of npm run cluster (redis-server, an instance, nginx): spawned in a process group of
// its own, so a Ctrl-C on the terminal reaches only the cluster, which stops its programs in order
// (the instances drain while nginx and Redis still run). Its output goes to a log file in the
// cluster's folder and its last lines are kept, to say why it ended.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'

/** Lines of a program's output kept in memory. */
const LINES_KEPT = 20

/** How a program ended. */
export interface Ending {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface ClusterChildOptions {
  readonly env: Record<string, string>
  readonly cwd: string
  /** Where its stdout and stderr are written. */
  readonly logFile: string
}

/** A running program of the cluster. */
export class ClusterChild {
  /** What the cluster calls it in its messages ("instance 1", "nginx", "redis-server"). */
  readonly name: string
  readonly process: ChildProcess
  /** Resolves when it has exited and its output is read. */
  readonly ended: Promise<Ending>
  #output = ''
  #lines: string[] = []

  constructor (name: string, command: string, args: readonly string[], options: ClusterChildOptions) {
    this.name = name
    const log = fs.createWriteStream(options.logFile, { flags: 'a', mode: 0o600 })
    this.process = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    for (const stream of [this.process.stdout, this.process.stderr]) {
      stream?.setEncoding('utf8').on('data', (text: string) => {
        log.write(text)
        this.#output += text
        this.#lines.push(...text.split('\n').filter((line) => line.trim() !== ''))
        this.#lines.splice(0, Math.max(0, this.#lines.length - LINES_KEPT))
      })
    }
    this.ended = new Promise((resolve) => {
      this.process.once('error', (err) => { this.#lines.push(err.message) })
      this.process.once('close', (code, signal) => { log.end(); resolve({ code, signal }) })
    })
  }

  get running (): boolean {
    return this.process.exitCode === null && this.process.signalCode === null && this.process.pid !== undefined
  }

  /** Its last lines of output (at most LINES_KEPT). */
  lastLines (): readonly string[] {
    return this.#lines
  }

  /**
   * Waits until its output matches `pattern`, at most `timeoutMs`.
   * @throws Error saying it ended first, or did not get there in time
   */
  async waitForOutput (pattern: RegExp, what: string, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const match = pattern.exec(this.#output)
      if (match !== null) return match
      if (!this.running) throw new Error(`${this.name} exited before ${what} (${describe(await this.ended)})`)
      if (Date.now() > deadline) throw new Error(`${this.name} did not get to ${what} within ${timeoutMs / 1000} s`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. */
  async stop (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
    if (!this.running) return
    this.process.kill(signal)
    const timer = setTimeout(() => { if (this.running) this.process.kill('SIGKILL') }, timeoutMs)
    await this.ended
    clearTimeout(timer)
  }

  /** SIGKILL now, without waiting (the cluster's last resort as it exits). */
  killNow (): void {
    if (this.running) this.process.kill('SIGKILL')
  }
}

/** "code 1", "signal SIGKILL". */
export function describe ({ code, signal }: Ending): string {
  return signal === null ? `code ${code ?? '?'}` : `signal ${signal}`
}
