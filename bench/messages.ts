// What the benchmark processes say to each other over IPC: the runner asks a server for its
// memory, profiles and loop delay and tells it to stop; it gives the load generator tasks and
// gets results (and window marks) back.
import type { ServerKind } from './settings.js'

/** Server → runner, once listening. */
export interface ListeningMessage { type: 'listening', port: number, pid: number }
/**
 * Runner → server. `memory` runs a full GC first (the server runs with --expose-gc);
 * `profile-start`/`profile-stop` record a V8 CPU profile of just a workload into `file`;
 * `loop-delay-start`/`loop-delay-stop` measure the event-loop delay over a probe window.
 */
export type ServerCommand =
  | { type: 'memory' }
  | { type: 'stop' }
  | { type: 'profile-start' }
  | { type: 'profile-stop', file: string }
  | { type: 'loop-delay-start' }
  | { type: 'loop-delay-stop' }
/** Server → runner: the profiler started, or the profile is written. */
export interface ProfileMessage { type: 'profile', state: 'started' | 'written' }
/**
 * Server → runner, on loop-delay-stop: how late the server's event loop ran a timer due every
 * millisecond, since loop-delay-start (monitorEventLoopDelay, less the 1 ms period), in ms.
 */
export interface LoopDelayMessage { type: 'loop-delay', p50Ms: number, p99Ms: number, maxMs: number, samples: number }
/** Generator → runner during the logins task: a probe window opens or closes (the runner tells the server). */
export interface WindowMark { type: 'mark', window: 'quiet' | 'during', edge: 'start' | 'stop' }
/** Server → runner: process.memoryUsage() after a full GC, in bytes. */
export interface MemoryMessage { type: 'memory', rss: number, heapUsed: number, external: number, arrayBuffers: number }

/** Where and how the generator connects. */
export interface Target {
  readonly kind: ServerKind
  /** ws://127.0.0.1:port or wss://…; the dialect adds the path. */
  readonly socketBase: string
  /** http:// or https:// base for /login. */
  readonly httpBase: string
  /** The Origin header every handshake carries (an allowed origin for hero-socket). */
  readonly origin: string
  /** `__Host-sid=<id>` for hero-socket; sent to every server so the bytes are the same. */
  readonly cookie: string
  /** PEM file to trust for TLS; undefined for plain. */
  readonly caFile: string | undefined
  /** The server process, whose CPU time /proc/<pid>/stat gives. */
  readonly serverPid: number
  /** The redis-server of hero-socket+redis, measured over each window too; undefined: none. */
  readonly redis?: { readonly url: string, readonly pid: number } | undefined
}

export type Task =
  | { kind: 'roundtrips', connections: number, warmupMs: number, durationMs: number }
  | { kind: 'handshakes', concurrency: number, warmupMs: number, durationMs: number }
  | { kind: 'open-idle', count: number, concurrency: number }
  | { kind: 'close-idle' }
  | {
    kind: 'logins'
    probes: number
    probeIntervalMs: number
    concurrency: number
    warmupMs: number
    durationMs: number
    username: string
    password: string
  }
  /**
   * Log in `sessions` times on the task's target (instance A), open a socket per session on
   * `socketsOn` (instance B, same Redis), then log each session out on A in turn and time the 4401
   * close at B. `concurrency` logins at a time.
   */
  | { kind: 'revocation', sessions: number, concurrency: number, socketsOn: Target, username: string, password: string }

/** Latency summary in milliseconds. */
export interface Latency { count: number, p50Ms: number, p99Ms: number, maxMs: number }

/** A measured window: how many operations, over how long, and what the server spent. */
export interface Window {
  operations: number
  seconds: number
  /** Server process CPU (user + system, all threads) over the window, microseconds. */
  serverCpuUs: number
  /** Load generator CPU over the window, microseconds. */
  generatorCpuUs: number
  /** Share of the machine's CPU time the hypervisor took away during the window (steal), %. */
  stealPercent: number
  latency: Latency
  errors: number
  /** The redis-server over the same window, when the target has one. */
  redis?: RedisWindow
}

/** Commands redis-server ran over a window (INFO commandstats; those inside scripts included). */
export interface RedisCommands {
  total: number
  /** Calls per command name (lower case, as INFO writes them). */
  byCommand: Record<string, number>
}

/** What redis-server did over a window. */
export interface RedisWindow extends RedisCommands {
  /** CPU time of the redis-server process (user + system, all threads), microseconds. */
  cpuUs: number
}

export interface RevocationResult {
  sessions: number
  /** Sockets on B that closed with 4401 after their session's logout on A. */
  closed: number
  /** From sending POST /logout to A to the 4401 close at B's socket ('close' event), ms. */
  latency: Latency
  /** From sending POST /logout to its 303 answer from A, ms. */
  logout: Latency
  /** Logouts not answered 303, sockets closed with another code, or not closed within the wait. */
  errors: number
  lastError?: string
}

export interface IdleResult { opened: number, errors: number, seconds: number }

export interface LoginsResult {
  /** Probe round trips with no logins running. */
  quiet: Window
  /** Probe round trips while logins run. */
  duringLogins: Window
  /** The logins themselves, over the same window as duringLogins. */
  logins: Window
  /** The server's own event-loop delay over each probe window (added by the runner). */
  loopDelay?: { quiet: LoopDelayMessage, duringLogins: LoopDelayMessage }
}

export type TaskResult = Window | IdleResult | LoginsResult | RevocationResult | Record<string, never>

/** Runner → generator. */
export interface RunMessage { type: 'run', seq: number, target: Target, task: Task }
/** Generator → runner. */
export type GeneratorReply =
  | { type: 'result', seq: number, result: TaskResult }
  | { type: 'failed', seq: number, message: string }
