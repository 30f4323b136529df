// The load generator: a separate Node process (pinned to its own core by the runner) that
// takes tasks over IPC and drives one server with the `ws` client on loopback. Every task is
// bounded in time. The server's CPU time over a measured window (its child processes included)
// is read from /proc/<pid>/stat at the window's exact edges, so the server does no extra work to
// report it.
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import https from 'node:https'
import tls from 'node:tls'
import { execFileSync } from 'node:child_process'
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { dialectFor, type Dialect } from './client-dialects.js'
import { BENCH_HEROES, BENCH_HERO_IDS } from './heroes.js'
import { login } from './http-login.js'
import type { GeneratorReply, IdleResult, Latency, LoginsResult, RunMessage, Target, Task, TaskResult, Window, WindowMark } from './messages.js'
import { LOGIN_WAIT_MAX_MS } from './settings.js'

/** Longest wait for a socket to open and deliver its first message, in milliseconds. */
const CONNECT_TIMEOUT_MS = 15_000
/** Sockets opened at once when a task needs many. */
const OPEN_CONCURRENCY = 64

const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/**
 * CPU time (user + system, all threads) of process `pid` and its descendants so far, in
 * microseconds: hero-socket hashes passwords in a child process, and that is the server's cost too.
 */
export function processCpuUs (pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15,
  // cutime 16 and cstime 17 (children that have exited and been waited for).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  let us = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1e6 / CLOCK_TICKS_PER_S
  for (const child of childPids(pid)) {
    try {
      us += processCpuUs(child)
    } catch {
      // exited meanwhile: its time is in cutime/cstime once waited for
    }
  }
  return us
}

function childPids (pid: number): number[] {
  const pids: number[] = []
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const list = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim()
      if (list !== '') pids.push(...list.split(' ').map(Number))
    } catch {
      // thread ended meanwhile, or no children file on this kernel
    }
  }
  return pids
}

/** Time the hypervisor gave the machine's CPUs to others so far ("steal", all cores), in ticks. */
function stealTicks (): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
  // cpu  user nice system idle iowait irq softirq steal …
  return Number(line.trim().split(/\s+/)[8] ?? 0)
}

const CORES = os.cpus().length

function ownCpuUs (): number {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

// Masking guards proxies from a hostile page; on loopback a zero mask keeps the generator cheap.
// ws allocates the mask buffer zero-filled and only this function writes it: leaving it alone
// keeps it zero, and ws skips masking an all-zero mask.
const zeroMask = (): void => {}

/** Counts operations and their latency between start() and stop(), with the server's CPU time. */
class WindowMeter {
  readonly #pid: number
  readonly #histogram: RecordableHistogram = createHistogram()
  #measuring = false
  #operations = 0
  #errors = 0
  #startedAt = 0
  #serverCpu = 0
  #generatorCpu = 0
  #steal = 0
  #result: Window | undefined

  constructor (serverPid: number) {
    this.#pid = serverPid
  }

  get stopped (): boolean { return this.#result !== undefined }

  /** Operations recorded so far in the window. */
  get operations (): number { return this.#operations }

  start (): void {
    this.#serverCpu = processCpuUs(this.#pid)
    this.#generatorCpu = ownCpuUs()
    this.#steal = stealTicks()
    this.#startedAt = performance.now()
    this.#measuring = true
  }

  /** An operation begun at `startedAt` (performance.now()) has just finished. */
  record (startedAt: number): void {
    if (!this.#measuring) return
    this.#operations++
    this.#histogram.record(Math.max(1, Math.round((performance.now() - startedAt) * 1000)))
  }

  error (): void { this.#errors++ }

  stop (): Window {
    const seconds = (performance.now() - this.#startedAt) / 1000
    this.#measuring = false
    const h = this.#histogram
    const count = this.#operations
    const latency: Latency = count === 0
      ? { count, p50Ms: NaN, p99Ms: NaN, maxMs: NaN }
      : { count, p50Ms: h.percentile(50) / 1000, p99Ms: h.percentile(99) / 1000, maxMs: h.max / 1000 }
    this.#result = {
      operations: count,
      seconds,
      serverCpuUs: processCpuUs(this.#pid) - this.#serverCpu,
      generatorCpuUs: ownCpuUs() - this.#generatorCpu,
      stealPercent: (stealTicks() - this.#steal) / CLOCK_TICKS_PER_S / seconds / CORES * 100,
      latency,
      errors: this.#errors
    }
    return this.#result
  }
}

const clientTlsContext = tls.createSecureContext()

let caCache: { file: string, pem: string } | undefined
function caFor (target: Target): string | undefined {
  if (target.caFile === undefined) return undefined
  if (caCache?.file !== target.caFile) caCache = { file: target.caFile, pem: fs.readFileSync(target.caFile, 'utf8') }
  return caCache.pem
}

/** Opens one socket and resolves once the server's first application message arrived. */
function connect (target: Target, dialect: Dialect): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // ws hands TLS options through to tls.connect. The server's certificate is our own, on
    // loopback: checking it (chain, then Node's getPeerCertificate for the host name) and a TLS
    // context per connection would cost the one-core generator more than the handshake costs
    // the server. The server's side of TLS is unchanged.
    const options: WebSocket.ClientOptions & { secureContext: tls.SecureContext } = {
      headers: { origin: target.origin, cookie: target.cookie },
      perMessageDeflate: false,
      secureContext: clientTlsContext,
      rejectUnauthorized: false,
      generateMask: zeroMask,
      skipUTF8Validation: true,
      handshakeTimeout: CONNECT_TIMEOUT_MS
    }
    const ws = new WebSocket(target.socketBase + dialect.path, options)
    const fail = (err: Error): void => {
      clearTimeout(timer)
      ws.removeAllListeners('message')
      ws.terminate()
      reject(err)
    }
    const timer = setTimeout(() => fail(new Error('no first message in time')), CONNECT_TIMEOUT_MS)
    ws.on('message', (data) => {
      const frame = dialect.read(String(data))
      if (frame.kind === 'answer') ws.send(frame.text)
      else if (frame.kind === 'error') fail(new Error(`refused: ${frame.detail}`))
      else if (frame.kind === 'welcome') {
        clearTimeout(timer)
        ws.removeAllListeners('message')
        ws.removeAllListeners('close')
        ws.removeAllListeners('error')
        ws.on('error', () => {})
        resolve(ws)
      }
    })
    ws.on('error', fail)
    ws.on('close', (code) => fail(new Error(`closed with ${code} before the first message`)))
  })
}

/** Opens `count` sockets, `concurrency` at a time; the failures are counted, not thrown. */
async function openMany (target: Target, dialect: Dialect, count: number, concurrency = OPEN_CONCURRENCY): Promise<{ sockets: WebSocket[], errors: number, lastError: string | undefined }> {
  const sockets: WebSocket[] = []
  let next = 0
  let errors = 0
  let lastError: string | undefined
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++
      try {
        sockets.push(await connect(target, dialect))
      } catch (err) {
        errors++
        lastError = (err as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return { sockets, errors, lastError }
}

/** Closes a socket with 1000 and waits for the close (terminating after `timeoutMs`). */
function closeAndWait (ws: WebSocket, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve()
    const timer = setTimeout(() => { ws.terminate(); resolve() }, timeoutMs)
    ws.once('close', () => { clearTimeout(timer); resolve() })
    ws.close(1000)
  })
}

async function closeAll (sockets: readonly WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) => closeAndWait(ws)))
}

/** Keeps answering what must be answered (engine.io pings) on a socket that is otherwise idle. */
function keepAlive (ws: WebSocket, dialect: Dialect): void {
  ws.on('message', (data) => {
    const frame = dialect.read(String(data))
    if (frame.kind === 'answer') ws.send(frame.text)
  })
}

async function requireOpen (target: Target, dialect: Dialect, count: number): Promise<WebSocket[]> {
  const { sockets, errors, lastError } = await openMany(target, dialect, count)
  if (errors > 0) {
    await closeAll(sockets)
    throw new Error(`${errors} of ${count} sockets failed to open (${lastError ?? ''})`)
  }
  return sockets
}

/** C connections, each in a closed loop of get_name → reply. */
async function roundTrips (target: Target, task: Extract<Task, { kind: 'roundtrips' }>): Promise<Window> {
  const dialect = dialectFor(target.kind)
  const sockets = await requireOpen(target, dialect, task.connections)
  const meter = new WindowMeter(target.serverPid)
  let inFlight = 0
  sockets.forEach((ws, index) => {
    let id = index * 1000
    let hero = ''
    let sentAt = 0
    let waiting = false
    const send = (): void => {
      id = (id + 1) % 2_147_483_647
      hero = BENCH_HERO_IDS[id % BENCH_HERO_IDS.length] as string
      waiting = true
      inFlight++
      sentAt = performance.now()
      ws.send(dialect.request(id, hero))
    }
    const settle = (ok: boolean): void => {
      if (!waiting) return
      waiting = false
      inFlight--
      if (ok) meter.record(sentAt)
      else meter.error()
    }
    ws.on('message', (data) => {
      const frame = dialect.read(String(data))
      if (frame.kind === 'reply') {
        settle(frame.id === id && frame.heroName === BENCH_HEROES.get(hero))
        if (!meter.stopped) send()
      } else if (frame.kind === 'answer') {
        ws.send(frame.text)
      } else if (frame.kind === 'error') {
        settle(false)
        if (!meter.stopped) send()
      }
    })
    ws.on('close', () => settle(false))
    send()
  })
  await sleep(task.warmupMs)
  meter.start()
  await sleep(task.durationMs)
  const window = meter.stop()
  for (let waited = 0; inFlight > 0 && waited < 5000; waited += 10) await sleep(10)
  await closeAll(sockets)
  return window
}

/** Connect (TLS, Origin, cookie, upgrade, first message) and close, `concurrency` at a time. */
async function handshakes (target: Target, task: Extract<Task, { kind: 'handshakes' }>): Promise<Window> {
  const dialect = dialectFor(target.kind)
  const meter = new WindowMeter(target.serverPid)
  let running = true
  let lastError: string | undefined
  const worker = async (): Promise<void> => {
    while (running) {
      const startedAt = performance.now()
      let ws: WebSocket
      try {
        ws = await connect(target, dialect)
      } catch (err) {
        meter.error()
        lastError = (err as Error).message
        await sleep(20)
        continue
      }
      meter.record(startedAt)
      await closeAndWait(ws)
    }
  }
  const workers = Array.from({ length: task.concurrency }, worker)
  await sleep(task.warmupMs)
  meter.start()
  await sleep(task.durationMs)
  const window = meter.stop()
  running = false
  await Promise.all(workers)
  if (window.errors > 0 && window.operations === 0) throw new Error(`every handshake failed (${lastError ?? ''})`)
  return window
}

let idleSockets: WebSocket[] = []

/** Opens `count` authenticated sockets and leaves them open until close-idle. */
async function openIdle (target: Target, task: Extract<Task, { kind: 'open-idle' }>): Promise<IdleResult> {
  const dialect = dialectFor(target.kind)
  const startedAt = performance.now()
  const { sockets, errors, lastError } = await openMany(target, dialect, task.count, task.concurrency)
  for (const ws of sockets) keepAlive(ws, dialect)
  idleSockets.push(...sockets)
  if (sockets.length === 0 && errors > 0) throw new Error(`no idle socket opened (${lastError ?? ''})`)
  return { opened: sockets.length, errors, seconds: (performance.now() - startedAt) / 1000 }
}

async function closeIdle (): Promise<Record<string, never>> {
  const sockets = idleSockets
  idleSockets = []
  await closeAll(sockets)
  return {}
}

/**
 * Paced probe round trips (open loop: one request per probe every probeIntervalMs, answered
 * or not) with no logins, then the same probes while `concurrency` loops log in.
 */
async function logins (target: Target, task: Extract<Task, { kind: 'logins' }>): Promise<LoginsResult> {
  const dialect = dialectFor(target.kind)
  const probes = await requireOpen(target, dialect, task.probes)
  let meter = new WindowMeter(target.serverPid)
  const timers: NodeJS.Timeout[] = []
  probes.forEach((ws, index) => {
    const pending: Array<{ id: number, hero: string, sentAt: number }> = []
    let id = index * 1000
    ws.on('message', (data) => {
      const frame = dialect.read(String(data))
      if (frame.kind === 'answer') return ws.send(frame.text)
      if (frame.kind !== 'reply' && frame.kind !== 'error') return
      const request = pending.shift()
      if (request === undefined) return
      if (frame.kind === 'reply' && frame.id === request.id && frame.heroName === BENCH_HEROES.get(request.hero)) meter.record(request.sentAt)
      else meter.error()
    })
    const start = setTimeout(() => {
      timers.push(setInterval(() => {
        id = (id + 1) % 2_147_483_647
        const hero = BENCH_HERO_IDS[id % BENCH_HERO_IDS.length] as string
        pending.push({ id, hero, sentAt: performance.now() })
        ws.send(dialect.request(id, hero))
      }, task.probeIntervalMs))
    }, (index * task.probeIntervalMs) / task.probes)
    timers.push(start)
  })

  await sleep(task.warmupMs)
  meter.start()
  mark('quiet', 'start')
  await sleep(task.durationMs)
  const quiet = meter.stop()
  mark('quiet', 'stop')

  meter = new WindowMeter(target.serverPid)
  const loginMeter = new WindowMeter(target.serverPid)
  const ca = caFor(target)
  const agent = target.httpBase.startsWith('https:')
    ? new https.Agent({ keepAlive: true, maxSockets: task.concurrency, ca })
    : new http.Agent({ keepAlive: true, maxSockets: task.concurrency })
  let running = true
  let lastError: string | undefined
  let loggedIn: () => void = () => {}
  const firstLogin = new Promise<void>((resolve) => { loggedIn = resolve })
  const loginLoop = async (): Promise<void> => {
    while (running) {
      const startedAt = performance.now()
      try {
        await login({ httpBase: target.httpBase, origin: target.origin, username: task.username, password: task.password, ca, agent })
        loginMeter.record(startedAt)
        loggedIn()
      } catch (err) {
        loginMeter.error()
        lastError = (err as Error).message
        await sleep(20)
      }
    }
  }
  const loops = Array.from({ length: task.concurrency }, loginLoop)
  // hero-socket hashes at nice 19: on a CPU saturated by other work (a test run beside this one)
  // a login can take seconds. The window opens once logins flow, and stays open until one
  // has finished inside it, within LOGIN_WAIT_MAX_MS either way.
  await Promise.all([sleep(task.warmupMs), Promise.race([firstLogin, sleep(LOGIN_WAIT_MAX_MS)])])
  meter.start()
  loginMeter.start()
  mark('during', 'start')
  await sleep(task.durationMs)
  const deadline = performance.now() + LOGIN_WAIT_MAX_MS
  while (loginMeter.operations === 0 && performance.now() < deadline) await sleep(50)
  const duringLogins = meter.stop()
  mark('during', 'stop')
  const loginWindow = loginMeter.stop()
  running = false
  await Promise.all(loops)
  agent.destroy()
  for (const timer of timers) clearInterval(timer)
  await sleep(Math.min(1000, 10 * task.probeIntervalMs))
  await closeAll(probes)
  if (loginWindow.operations === 0) throw new Error(`no login succeeded (${lastError ?? ''})`)
  return { quiet, duringLogins, logins: loginWindow }
}

async function run (target: Target, task: Task): Promise<TaskResult> {
  switch (task.kind) {
    case 'roundtrips': return await roundTrips(target, task)
    case 'handshakes': return await handshakes(target, task)
    case 'open-idle': return await openIdle(target, task)
    case 'close-idle': return await closeIdle()
    case 'logins': return await logins(target, task)
  }
}

/** Tells the runner a probe window opened or closed, so it can measure the server meanwhile. */
function mark (window: WindowMark['window'], edge: WindowMark['edge']): void {
  process.send?.({ type: 'mark', window, edge } satisfies WindowMark)
}

function reply (message: GeneratorReply): void {
  process.send?.(message)
}

if (process.send === undefined) {
  process.stderr.write('load-generator: run me from bench/run.js (needs an IPC channel)\n')
  process.exit(2)
}
process.on('message', (message: RunMessage) => {
  if (message.type !== 'run') return
  run(message.target, message.task).then(
    (result) => reply({ type: 'result', seq: message.seq, result }),
    (err: Error) => reply({ type: 'failed', seq: message.seq, message: err.message })
  )
})
process.on('disconnect', () => process.exit(0))
