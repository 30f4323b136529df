// The login page's one script: a refusal that says how long to wait ("Try again in 10 minutes.")
// also says when that is on this device's clock, which only the browser knows. The page works the
// same without it (the form is a plain post).

/** Waits shorter than this are said in seconds alone: a clock time would add nothing. */
const CLOCK_TIME_FROM_S = 60

const notice = document.getElementById('login-notice')
const retryAfterS = Number(notice?.dataset.retryAfter)
if (notice !== null && Number.isInteger(retryAfterS) && retryAfterS >= CLOCK_TIME_FROM_S) {
  const at = new Date(Date.now() + retryAfterS * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  notice.append(` That is at ${at}.`)
}
