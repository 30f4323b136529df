// The password hashing child process (src/accounts/hashing-process.ts, hash-worker.ts), run for real:
// argon2id round trips, every thread of the child at HASH_WORKER_NICE, the bounded queue, a child killed
// or stuck mid-request, close(), and an idle child that never keeps its parent alive.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  HASH_WORKER_NICE,
  HashingBusyError,
  HashingProcess,
  type HashingProcessOptions
} from '../../src/accounts/hashing-process.js'
import { builtFile, childEnv, ROOT } from '../helpers/http.js'
import { commandLine, isGone, threadNice, threadNices, waitUntilGone } from '../helpers/processes.js'

const HASHING_MODULE = pathToFileURL(builtFile('dist/src/accounts/hashing-process.js')).href
const PARAMS = Object.freeze({ memoryKiB: 19456, timeCost: 2, parallelism: 1 })
const PASSWORD = 'correct horse battery staple'

/** A started HashingProcess, closed at the end of `t`. */
function startHashing (t: Test, options: HashingProcessOptions = {}): HashingProcess {
  const hashing = new HashingProcess(options)
  hashing.start()
  t.teardown(() => hashing.close())
  return hashing
}

/** The `m`, `t` and `p` of a PHC string `$argon2id$v=19$m=..,t=..,p=..$salt$hash`, in any order. */
function phcParams (phc: string): Record<string, string> {
  return Object.fromEntries((phc.split('$')[3] ?? '').split(',').map((pair) => pair.split('=')))
}

t.test('hash then verify: argon2id with the given parameters; right, wrong and malformed', async (t) => {
  const hashing = startHashing(t)
  const hash = await hashing.hash(PASSWORD, PARAMS)
  t.equal(hash.split('$')[1], 'argon2id', 'an argon2id PHC string')
  t.same(phcParams(hash), { m: '19456', t: '2', p: '1' }, 'm=19456, t=2, p=1')
  t.equal(await hashing.verify(hash, PASSWORD), true, 'the right password matches')
  t.equal(await hashing.verify(hash, PASSWORD + ' '), false, 'a wrong password does not')
  t.equal(await hashing.verify('$argon2id$not-a-hash', PASSWORD), false, 'a malformed hash matches nothing')
  t.equal(await hashing.verify('', PASSWORD), false, 'nor does an empty one')
  t.equal(await hashing.verify(hash, PASSWORD), true, 'and the child still answers afterwards')
})

t.test('every thread of the child runs at HASH_WORKER_NICE; the parent keeps its priority', async (t) => {
  const parentNice = threadNice(process.pid, process.pid)
  const hashing = startHashing(t)
  // After a hash, libuv's pool threads (which run argon2) exist too.
  await hashing.hash(PASSWORD, PARAMS)
  const pid = hashing.pid
  if (pid === undefined) throw new Error('no child process')
  const nices = threadNices(pid)
  t.ok(nices.size >= 5, `the main thread, V8's and libuv's threads (${nices.size})`)
  t.same([...new Set(nices.values())], [HASH_WORKER_NICE], `all ${nices.size} threads at nice ${HASH_WORKER_NICE}`)
  t.equal(
    threadNice(process.pid, process.pid),
    parentNice,
    `the parent's main thread is still at nice ${String(parentNice)}`
  )
  t.not(parentNice, HASH_WORKER_NICE, 'which is not the child\'s')
})

t.test('the queue is bounded: beyond concurrency + maxQueued a request fails at once', async (t) => {
  const hashing = startHashing(t, { concurrency: 1, maxQueued: 1 })
  const hash = await hashing.hash(PASSWORD, PARAMS)
  const settled: string[] = []
  const track = <T>(name: string, promise: Promise<T>): Promise<T> => {
    promise.then(() => settled.push(name), () => settled.push(name))
    return promise
  }
  const [running, queued, refused] = await Promise.allSettled([
    track('running', hashing.verify(hash, PASSWORD)),
    track('queued', hashing.verify(hash, 'wrong password')),
    track('refused', hashing.verify(hash, PASSWORD))
  ])
  t.same(running, { status: 'fulfilled', value: true }, 'the first runs: right password')
  t.same(queued, { status: 'fulfilled', value: false }, 'the second waits its turn: wrong password')
  t.equal(refused?.status, 'rejected', 'the third is refused')
  if (refused?.status === 'rejected') t.type(refused.reason, HashingBusyError)
  t.same(settled, ['refused', 'running', 'queued'], 'refused before the others were answered, not after waiting')
  t.equal(await hashing.verify(hash, PASSWORD), true, 'the child still works afterwards')
})

t.test('a request that waited longer than maxWaitMs for its turn is refused, not run', async (t) => {
  const hashing = startHashing(t, { concurrency: 1, maxWaitMs: 1 })
  const hash = await hashing.hash(PASSWORD, PARAMS)
  // The second waits behind the first, one argon2 check (tens of ms), far beyond 1 ms.
  const [first, second] = await Promise.allSettled([hashing.verify(hash, PASSWORD), hashing.verify(hash, PASSWORD)])
  t.same(first, { status: 'fulfilled', value: true }, 'the first runs')
  t.equal(second?.status, 'rejected', 'the second is refused when its turn comes')
  if (second?.status === 'rejected') {
    t.type(second.reason, HashingBusyError)
    t.match((second.reason as Error).message, /^waited \d+ ms for a turn$/)
  }
  t.equal(await hashing.verify(hash, 'wrong password'), false, 'a request that did not wait still runs')
})

t.test('a child killed mid-request is replaced and the request answered', async (t) => {
  const exits: string[] = []
  const hashing = startHashing(t, { onUnexpectedExit: (how) => exits.push(how) })
  const hash = await hashing.hash(PASSWORD, PARAMS)
  const oldPid = hashing.pid
  if (oldPid === undefined) throw new Error('no child process')
  const right = hashing.verify(hash, PASSWORD)
  const wrong = hashing.verify(hash, 'wrong password')
  process.kill(oldPid, 'SIGKILL')
  t.equal(await right, true, 'the interrupted check of the right password still matches')
  t.equal(await wrong, false, 'and that of a wrong one still does not')
  t.same(exits, ['SIGKILL'], 'onUnexpectedExit was called once, with the signal')
  const newPid = hashing.pid
  t.ok(newPid !== undefined && newPid !== oldPid, `a new child (${String(newPid)}, was ${oldPid})`)
  t.ok(await waitUntilGone(oldPid), 'the old child is gone')
})

t.test('once the server is stopping, a child that exits is neither replaced nor reported', async (t) => {
  const exits: string[] = []
  const hashing = startHashing(t, { onUnexpectedExit: (how) => exits.push(how) })
  const hash = await hashing.hash(PASSWORD, PARAMS)
  hashing.stopping()
  t.equal(await hashing.verify(hash, PASSWORD), true, 'while its child runs, a stopping process still answers')
  const pid = hashing.pid
  if (pid === undefined) throw new Error('no child process')
  process.kill(pid, 'SIGINT')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(hashing.pid, pid, 'the child ignores SIGINT (Ctrl-C reaches the whole process group)')
  t.equal(await hashing.verify(hash, PASSWORD), true, 'and still answers')
  process.kill(pid, 'SIGSTOP') // so the request below is still held when the child dies
  const inFlight = hashing.verify(hash, PASSWORD)
  await new Promise((resolve) => setTimeout(resolve, 100))
  process.kill(pid, 'SIGKILL')
  await t.rejects(inFlight, /^the hashing process exited \(SIGKILL\) as the server stops$/, 'what it held fails')
  t.ok(await waitUntilGone(pid), 'the child is gone')
  t.equal(hashing.pid, undefined, 'and not replaced')
  t.same(exits, [], 'nor reported as an unexpected exit')
  await t.rejects(hashing.verify(hash, PASSWORD), /^the server is stopping$/, 'a later request fails at once')
})

t.test('a child that holds a request past maxCheckMs (stopped) is killed and replaced, and the request ' +
  'answered', async (t) => {
  const exits: string[] = []
  // The deadline covers the child's start-up too: generous enough for a loaded machine.
  const hashing = startHashing(t, { maxCheckMs: 5000, onUnexpectedExit: (how) => exits.push(how) })
  const hash = await hashing.hash(PASSWORD, PARAMS)
  const stoppedPid = hashing.pid
  if (stoppedPid === undefined) throw new Error('no child process')
  process.kill(stoppedPid, 'SIGSTOP')
  t.teardown(() => { try { process.kill(stoppedPid, 'SIGKILL') } catch {} })
  const started = performance.now()
  t.equal(await hashing.verify(hash, PASSWORD), true, 'the check is answered by a new child')
  const tookMs = performance.now() - started
  t.ok(tookMs >= 5000 && tookMs < 20_000, `after the deadline, not never (${Math.round(tookMs)} ms)`)
  t.same(exits, ['SIGKILL'], 'the stuck child was killed')
  t.not(hashing.pid, stoppedPid, 'a new child runs')
  t.ok(await waitUntilGone(stoppedPid), 'the stopped child is gone')
  t.ok(hashing.running, 'and readiness sees a running child')
})

t.test('a request that is stuck on its retry too fails within two deadlines', async (t) => {
  let hashing: HashingProcess | undefined
  const stopped: number[] = []
  const stop = (): void => {
    const pid = hashing?.pid
    if (pid === undefined) return
    stopped.push(pid)
    process.kill(pid, 'SIGSTOP')
  }
  // The replacement is spawned right after onUnexpectedExit returns: stop it with the retried request.
  hashing = startHashing(
    t,
    { maxCheckMs: 5000, onUnexpectedExit: () => { if (stopped.length === 1) setImmediate(stop) } }
  )
  t.teardown(() => { for (const pid of stopped) { try { process.kill(pid, 'SIGKILL') } catch {} } })
  const hash = await hashing.hash(PASSWORD, PARAMS)
  stop()
  const started = performance.now()
  await t.rejects(hashing.verify(hash, PASSWORD), /the hashing process exited \(SIGKILL\)/, 'retried once, then failed')
  t.ok(performance.now() - started < 25_000, 'bounded: two deadlines and a start-up')
  t.equal(stopped.length, 2, 'both children were stopped')
})

t.test('a request whose retry is killed too fails; the next one gets a new child', async (t) => {
  const exits: string[] = []
  let hashing: HashingProcess | undefined
  const onUnexpectedExit = (how: string): void => {
    exits.push(how)
    // The replacement is spawned right after this call returns; kill it with the retried request.
    if (exits.length === 1) setImmediate(() => { if (hashing?.pid !== undefined) process.kill(hashing.pid, 'SIGKILL') })
  }
  hashing = startHashing(t, { onUnexpectedExit })
  const hash = await hashing.hash(PASSWORD, PARAMS)
  const firstPid = hashing.pid
  if (firstPid === undefined) throw new Error('no child process')
  const check = hashing.verify(hash, PASSWORD)
  process.kill(firstPid, 'SIGKILL')
  await t.rejects(check, /the hashing process exited \(SIGKILL\)/, 'retried once, then failed')
  t.same(exits, ['SIGKILL', 'SIGKILL'], 'both children reported as killed')
  t.equal(await hashing.verify(hash, PASSWORD), true, 'a later request starts a new child')
})

t.test('close() ends the child, fails requests in flight and every later call', async (t) => {
  const hashing = startHashing(t)
  const hash = await hashing.hash(PASSWORD, PARAMS)
  const pid = hashing.pid
  if (pid === undefined) throw new Error('no child process')
  const inFlight = t.rejects(hashing.verify(hash, PASSWORD), /closed/, 'a check in flight fails')
  await hashing.close()
  await inFlight
  t.ok(await waitUntilGone(pid), 'the child is gone')
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'kill(pid, 0): ESRCH')
  t.equal(hashing.pid, undefined, 'no child pid')
  await t.rejects(hashing.verify(hash, PASSWORD), /closed/, 'verify after close fails')
  await t.rejects(hashing.hash(PASSWORD, PARAMS), /closed/, 'hash after close fails')
  t.throws(() => hashing.start(), /closed/, 'start after close throws')
  await hashing.close()
  t.pass('a second close() is harmless')
})

/** Script lines: start a HashingProcess, hash once, print the child's pid. */
const HASH_ONCE_AND_PRINT_PID = [
  'const hashing = new HashingProcess()',
  'hashing.start()',
  `await hashing.hash('x', ${JSON.stringify(PARAMS)})`,
  // eslint-disable-next-line no-template-curly-in-string -- a line of the child's script: the child fills it in
  'process.stdout.write(`${hashing.pid}\\n`)'
]

t.test('an idle child does not keep its parent process alive', async (t) => {
  const script = startScript(t, [
    ...HASH_ONCE_AND_PRINT_PID,
    '// and returns without close()'
  ])
  const pid = Number(await script.firstLine)
  t.ok(Number.isInteger(pid) && pid > 0, `it hashed and printed its child's pid (${pid})`)
  // From here nothing is left to do but the idle child: the process must end by itself.
  const returned = performance.now()
  const timer = setTimeout(script.kill, 10_000)
  const { code, signal, stderr } = await script.exit
  clearTimeout(timer)
  const ms = performance.now() - returned
  t.equal(signal, null, `it exited by itself ${ms.toFixed(0)} ms after returning, not killed after 10 s`)
  t.equal(code, 0, 'with exit code 0')
  t.equal(stderr, '', 'nothing on stderr')
  t.ok(await waitUntilGone(pid), 'and the hashing child is gone too')
})

// close() waits for the child's 'exit' while an idle child is unref'd: it must keep this process
// alive until then, even when the child is too starved to act on 'disconnect' in time.
t.test('close() resolves for a child that is slow to exit', async (t) => {
  const script = startScript(t, [
    ...HASH_ONCE_AND_PRINT_PID,
    // A stopped child cannot act on 'disconnect', like one starved of CPU on a busy machine.
    "process.kill(hashing.pid, 'SIGSTOP')",
    'await hashing.close()',
    "process.stdout.write('closed\\n')"
  ])
  const pid = Number(await script.firstLine)
  t.teardown(() => {
    // Should the script be killed first, its stopped child would never see 'disconnect'.
    try {
      if (pid > 0 && !isGone(pid) && commandLine(pid).includes('hash-worker')) process.kill(pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  })
  const timer = setTimeout(script.kill, 20_000)
  const { stdout } = await script.exit
  clearTimeout(timer)
  t.match(stdout, /^closed$/m, 'close() resolved once the stopped child was killed')
  t.ok(await waitUntilGone(pid), 'the stopped child is gone')
})

interface ScriptProcess {
  /** The first line the script prints ('' if it exits without one). */
  firstLine: Promise<string>
  exit: Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }>
  kill: () => void
}

/** Runs `lines` as an ES module in a new Node process, with HashingProcess imported from dist/. */
function startScript (t: Test, lines: readonly string[]): ScriptProcess {
  const file = path.join(t.testdir({}), 'script.mjs')
  fs.writeFileSync(file, [`import { HashingProcess } from ${JSON.stringify(HASHING_MODULE)}`, ...lines].join('\n'))
  const child = spawn(process.execPath, [file], { cwd: ROOT, env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'] })
  const kill = (): void => { child.kill('SIGKILL') }
  t.teardown(kill)
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const exit = new Promise<Awaited<ScriptProcess['exit']>>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  const firstLine = new Promise<string>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
      if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')))
    })
    void exit.then(() => resolve(''))
  })
  return { firstLine, exit, kill }
}
