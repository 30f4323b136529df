// The load generator: a separate Node process (pinned to its own core by the runner) that
// takes tasks over IPC and drives one server with the `ws` client on loopback. Every task is
// bounded in time. Each measured window is metered by window-meter.ts (the server's CPU time from
// /proc at the window's edges) and, for hero-socket+redis, by redis-window.ts (redis-server's CPU
// time and commands over the same window).
import http from 'node:http'
import https from 'node:https'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type WebSocket from 'ws'
import { dialectFor, type Dialect } from './client-dialects.js'
import { ABNORMAL_CLOSE, caFor, closeAll, closeAndWait, connect, openMany, requireOpen } from './client-sockets.js'
import { BENCH_HEROES, BENCH_HERO_IDS } from './heroes.js'
import { login } from './http-login.js'
import type {
  GeneratorReply, IdleResult, LoginsResult, RunMessage, Target, Task, TaskResult, Window, WindowMark
} from './messages.js'
import { RedisWindowMeter } from './redis-window.js'
import { revocation } from './revocation.js'
import { LOGIN_WAIT_MAX_MS } from './settings.js'
import { WindowMeter } from './window-meter.js'

/**
 * Opens `meter`'s window, waits `durationMs` and closes it; with a redis-server behind the target,
 * measures it over the same window (its INFO read just outside the window's edges).
 */
async function measureWindow (target: Target, meter: WindowMeter, durationMs: number): Promise<Window> {
  const redis = target.redis === undefined ? undefined : new RedisWindowMeter(target.redis)
  await redis?.begin()
  meter.start()
  await sleep(durationMs)
  const window = meter.stop()
  if (redis !== undefined) window.redis = await redis.end()
  return window
}

/** Keeps answering what must be answered (engine.io pings) on a socket that is otherwise idle. */
function keepAlive (ws: WebSocket, dialect: Dialect): void {
  ws.on('message', (data) => {
    const frame = dialect.read(String(data))
    if (frame.kind === 'answer') ws.send(frame.text)
  })
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
  const window = await measureWindow(target, meter, task.durationMs)
  for (let waited = 0; inFlight > 0 && waited < 5000; waited += 10) await sleep(10)
  await closeAll(sockets)
  return window
}

/**
 * `concurrency` loops of one handshake each: connect (TLS, Origin, cookie, upgrade), wait for the
 * server's first message, close with 1000 and wait until the close is complete (the server's close
 * frame and the end of the TCP connection) before the next connect. One operation is that whole
 * cycle, so the server's CPU time per operation includes closing the socket, and its latency is
 * the cycle's. A close without the server's 1000 counts as an error.
 */
async function handshakes (target: Target, task: Extract<Task, { kind: 'handshakes' }>): Promise<Window> {
  const dialect = dialectFor(target.kind)
  const meter = new WindowMeter(target.serverPid)
  let running = true
  let lastError: string | undefined
  const failed = (message: string): void => {
    meter.error()
    lastError = message
  }
  const worker = async (): Promise<void> => {
    while (running) {
      const startedAt = performance.now()
      let ws: WebSocket
      try {
        ws = await connect(target, dialect)
      } catch (err) {
        failed((err as Error).message)
        await sleep(20)
        continue
      }
      const code = await closeAndWait(ws)
      if (code === 1000) meter.record(startedAt)
      else failed(code === ABNORMAL_CLOSE ? 'the server sent no close frame' : `the server closed with ${code}`)
    }
  }
  const workers = Array.from({ length: task.concurrency }, worker)
  await sleep(task.warmupMs)
  const window = await measureWindow(target, meter, task.durationMs)
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

type LoginsTask = Extract<Task, { kind: 'logins' }>

/** The probes' meter: one for the window without logins, then a fresh one for the window during them. */
interface ProbeMeter { current: WindowMeter }

/**
 * Paced round trips on every probe socket (open loop: one request per probe every
 * probeIntervalMs, answered or not), the probes' starts spread over one interval; each answer is
 * recorded on the meter current when it arrives.
 * @returns the timers to clear when the probes stop
 */
function paceProbes (
  probes: readonly WebSocket[], dialect: Dialect, task: LoginsTask, meter: ProbeMeter
): NodeJS.Timeout[] {
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
      const answered = frame.kind === 'reply' && frame.id === request.id &&
        frame.heroName === BENCH_HEROES.get(request.hero)
      if (answered) meter.current.record(request.sentAt)
      else meter.current.error()
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
  return timers
}

/** `concurrency` loops logging in back to back, each recorded on `loginMeter`, until stopped. */
function startLoginLoops (target: Target, task: LoginsTask, loginMeter: WindowMeter): {
  /** Settles at the first login that succeeds. */
  firstLogin: Promise<void>
  /** Ends the loops once their logins finish; resolves to the last error, if any. */
  stop: () => Promise<string | undefined>
} {
  const ca = caFor(target)
  const agent = target.httpBase.startsWith('https:')
    ? new https.Agent({ keepAlive: true, maxSockets: task.concurrency, ca })
    : new http.Agent({ keepAlive: true, maxSockets: task.concurrency })
  const state: { running: boolean, lastError?: string } = { running: true }
  let loggedIn: () => void = () => {}
  const firstLogin = new Promise<void>((resolve) => { loggedIn = resolve })
  const loginLoop = async (): Promise<void> => {
    while (state.running) {
      const startedAt = performance.now()
      try {
        const { httpBase, origin } = target
        await login({ httpBase, origin, username: task.username, password: task.password, ca, agent })
        loginMeter.record(startedAt)
        loggedIn()
      } catch (err) {
        loginMeter.error()
        state.lastError = (err as Error).message
        await sleep(20)
      }
    }
  }
  const loops = Array.from({ length: task.concurrency }, loginLoop)
  const stop = async (): Promise<string | undefined> => {
    state.running = false
    await Promise.all(loops)
    agent.destroy()
    return state.lastError
  }
  return { firstLogin, stop }
}

/**
 * Paced probe round trips (open loop: one request per probe every probeIntervalMs, answered
 * or not) with no logins, then the same probes while `concurrency` loops log in.
 */
async function logins (target: Target, task: LoginsTask): Promise<LoginsResult> {
  const dialect = dialectFor(target.kind)
  const probes = await requireOpen(target, dialect, task.probes)
  const meter: ProbeMeter = { current: new WindowMeter(target.serverPid) }
  const timers = paceProbes(probes, dialect, task, meter)

  await sleep(task.warmupMs)
  meter.current.start()
  mark('quiet', 'start')
  await sleep(task.durationMs)
  const quiet = meter.current.stop()
  mark('quiet', 'stop')

  meter.current = new WindowMeter(target.serverPid)
  const loginMeter = new WindowMeter(target.serverPid)
  const loops = startLoginLoops(target, task, loginMeter)
  // hero-socket hashes at nice 19: on a CPU saturated by other work (a test run beside this one)
  // a login can take seconds. The window opens once logins flow, and stays open until one
  // has finished inside it, within LOGIN_WAIT_MAX_MS either way.
  await Promise.all([sleep(task.warmupMs), Promise.race([loops.firstLogin, sleep(LOGIN_WAIT_MAX_MS)])])
  meter.current.start()
  loginMeter.start()
  mark('during', 'start')
  await sleep(task.durationMs)
  const deadline = performance.now() + LOGIN_WAIT_MAX_MS
  while (loginMeter.operations === 0 && performance.now() < deadline) await sleep(50)
  const duringLogins = meter.current.stop()
  mark('during', 'stop')
  const loginWindow = loginMeter.stop()
  const lastError = await loops.stop()
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
    case 'revocation': return await revocation(target, task)
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
