// A preload for a server process in tests (`node --import` this file): the process's wall clock
// (Date.now, new Date()) runs WALL_CLOCK_OFFSET_MS (default 0) off the real one, and each SIGWINCH
// steps it by the next of WALL_CLOCK_STEPS_MS (comma-separated ms), as an NTP step or a VM
// resuming steps a real clock (SIGWINCH: ignored by default and by the server, while SIGUSR2 and
// SIGHUP shut it down). After each step it writes `wall clock stepped <offset>` to stderr.
// Like a real step, it leaves the monotonic clock alone (performance.now, process.hrtime, timers),
// and other processes (Redis) keep the true time.
const RealDate = Date
let offsetMs = Number(process.env.WALL_CLOCK_OFFSET_MS ?? '0')
const steps = (process.env.WALL_CLOCK_STEPS_MS ?? '').split(',').filter((step) => step !== '').map(Number)

/** Date with this process's offset: `new Date()` and `Date.now()` read the offset clock. */
function OffsetDate (...args) {
  if (new.target === undefined) return new RealDate(RealDate.now() + offsetMs).toString()
  return args.length === 0 ? new RealDate(RealDate.now() + offsetMs) : new RealDate(...args)
}
OffsetDate.prototype = RealDate.prototype
OffsetDate.now = () => RealDate.now() + offsetMs
OffsetDate.parse = RealDate.parse
OffsetDate.UTC = RealDate.UTC
globalThis.Date = OffsetDate

process.on('SIGWINCH', () => {
  const step = steps.shift()
  if (step === undefined) return
  offsetMs += step
  process.stderr.write(`wall clock stepped ${offsetMs}\n`)
})
