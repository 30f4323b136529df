// The hero page: connects to wss://<this host>/ws, shows who is logged in and the connection
// state, renders one button per hero from user_authorized, and lists the answers: one card per
// request really sent. It sends only what the connection's budget (user_authorized limits,
// send-budget.ts) can pay for, so its user never meets the server's rate limit. Everything the
// server sends is inserted with textContent.
import { ReconnectingSocket, type ConnectionState } from './reconnecting-socket.js'
import { encodeGetName, type ErrorMessage, type NameMessage, type UserAuthorizedMessage } from './messages.js'
import { SendBudget } from './send-budget.js'
import { statusView } from './status-view.js'

/** How long the session-ended message stays before the login page, in milliseconds. */
const SESSION_ENDED_REDIRECT_MS = 1500
/** Answers kept on the page. */
const MAX_ANSWERS = 20
/** Largest request id the schema allows. */
const MAX_REQUEST_ID = 2 ** 31 - 1
/** Colour families for hero avatars (CSS data-tone 0..5). */
const TONES = 6

function byId<T extends HTMLElement> (id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`#${id} is missing from the page`)
  return element as T
}

const view = {
  status: byId('status'),
  statusText: byId('status-text'),
  countdown: byId('status-countdown'),
  detail: byId('status-detail'),
  action: byId<HTMLButtonElement>('status-action'),
  who: byId('who'),
  heroes: byId('heroes'),
  answers: byId<HTMLOListElement>('answers'),
  answersEmpty: byId('answers-empty'),
  answersHint: byId('answers-hint'),
  answersClear: byId<HTMLButtonElement>('answers-clear'),
  answersAnnounce: byId('answers-announce'),
  answersTitle: byId('answers-title'),
  logoutForm: byId<HTMLFormElement>('logout-form')
}

/** Hero id → display name, from the last user_authorized. */
const heroNames = new Map<string, string>()
/** Request id → its answer card, until the reply arrives. */
const pending = new Map<number, HTMLLIElement>()
let nextRequestId = 1
/** This connection's budget, from its user_authorized (a new one per connection, like the server's). */
let budget: SendBudget | undefined
/** Epoch ms the status countdown runs to (0 for none). */
let countdownTo = 0
let ticker: ReturnType<typeof setInterval> | undefined
/** Set once the page is on its way to the login page. */
let redirecting = false

const connection = new ReconnectingSocket({ url: `wss://${location.host}/ws` }, {
  state: renderState,
  message (message) {
    switch (message.type) {
      case 'user_authorized': return renderHeroes(message)
      case 'name': return renderName(message)
      case 'error': return renderError(message)
    }
  }
})

view.heroes.addEventListener('click', (event) => {
  const button = (event.target as Element).closest<HTMLButtonElement>('button[data-hero]')
  // While the page slows down, the buttons are aria-disabled, not disabled: they keep focus, and
  // a click reaches ask(), which says how long to wait and sends nothing.
  if (button !== null && !button.disabled) ask(button.dataset.hero ?? '')
})
view.action.addEventListener('click', () => {
  if (connection.state.kind === 'failed') location.reload()
  else connection.retryNow()
})
view.answersClear.addEventListener('click', clearAnswers)
view.answersHint.textContent = `The last ${MAX_ANSWERS} are kept here, newest first.`
view.logoutForm.addEventListener('submit', () => connection.stop())
window.addEventListener('pagehide', () => connection.stop())
// Back from the back/forward cache, the stopped connection would stay stopped: start afresh.
window.addEventListener('pageshow', (event) => { if (event.persisted) location.reload() })
window.addEventListener('online', () => connection.retryNow())
connection.start()

/** Sends one request if the budget can pay for it; a card only for a request really sent. */
function ask (hero: string): void {
  if (connection.state.kind !== 'connected' || budget === undefined) return
  if (!budget.trySend()) {
    renderState(connection.state) // says "slow down" and for how long; nothing is sent
    return
  }
  const id = nextRequestId
  nextRequestId = nextRequestId >= MAX_REQUEST_ID ? 1 : nextRequestId + 1
  if (!connection.send(encodeGetName(hero, id))) {
    // The socket is closing: its close is about to change the status; nothing was sent.
    budget.notSent()
    return
  }
  pending.set(id, addAnswerCard(hero))
  // The last token claimed: say so now, before the next click would find the budget empty.
  if (budget.waitMs() > 0) renderState(connection.state)
}

function renderHeroes (message: UserAuthorizedMessage): void {
  budget = new SendBudget(message.limits)
  // On a phone the words before the name are for screen readers only (the header keeps one row).
  const name = element('strong', 'who-name', message.user.username)
  view.who.replaceChildren(element('span', 'who-prefix', 'Signed in as '), name)
  heroNames.clear()
  const buttons = message.heroes.map((hero) => {
    heroNames.set(hero.id, hero.name)
    const button = element('button', 'hero')
    button.type = 'button'
    button.dataset.hero = hero.id
    button.dataset.tone = String(toneOf(hero.id))
    button.append(avatar(hero.name), element('span', 'hero-label', hero.name))
    return button
  })
  view.heroes.replaceChildren(...buttons)
  view.heroes.setAttribute('aria-busy', 'false')
  if (buttons.length === 0) view.heroes.append(element('p', 'empty', 'The server has no heroes to offer right now.'))
  updateButtons()
}

function renderName (message: NameMessage): void {
  replied()
  const card = takeCard(message.id) ?? addAnswerCard(message.hero)
  settleCard(card, 'done', message.hero_name)
}

function renderError (message: ErrorMessage): void {
  replied()
  const card = takeCard(message.id)
  if (message.code === 'rate_limited') {
    // Not expected while the page keeps its budget; if the server refuses anyway, it is right.
    budget?.holdFor(message.retryAfterMs ?? 1000)
    renderState(connection.state)
    if (card !== undefined) settleCard(card, 'error', 'Not answered: too many questions at once.')
    return
  }
  if (card !== undefined) settleCard(card, 'error', message.message)
  else console.warn(`hero-socket: the server reported ${message.code}`)
}

/** Every name and error answers one request: the budget pays for it now (send-budget.ts). */
function replied (): void {
  budget?.answered()
}

function renderState (state: ConnectionState): void {
  const now = Date.now()
  const status = statusView(state, now + limitedMs(), now)
  view.status.dataset.state = status.state
  view.statusText.textContent = status.text
  view.detail.textContent = status.detail
  view.action.hidden = status.action === undefined
  if (status.action !== undefined) view.action.textContent = status.action === 'reload' ? 'Reload' : 'Retry now'
  countdownTo = status.countdownTo
  if (state.kind === 'ended' && !redirecting) {
    redirecting = true
    const notice = state.accountRemoved ? 'account_removed' : 'session_ended'
    setTimeout(() => location.assign(`/login?notice=${notice}`), SESSION_ENDED_REDIRECT_MS)
  }
  if (state.kind !== 'connected') {
    failPending()
    budget = undefined
  }
  updateButtons()
  tick()
}

/** Milliseconds until the budget pays for another request (0 when it can now). */
function limitedMs (): number {
  return connection.state.kind === 'connected' && budget !== undefined ? budget.waitMs() : 0
}

/** Updates the countdown, and renders the state again when the slow-down is over. */
function tick (): void {
  const now = Date.now()
  if (countdownTo === 0) {
    view.countdown.textContent = ''
    if (ticker !== undefined) clearInterval(ticker)
    ticker = undefined
    return
  }
  if (view.status.dataset.state === 'limited') {
    const wait = limitedMs()
    if (wait === 0) {
      renderState(connection.state)
      return
    }
    // Replies still on the way can hold the budget a little past the first estimate.
    countdownTo = now + wait
  }
  view.countdown.textContent = ` ${formatSeconds(countdownTo - now)}`
  if (ticker === undefined) ticker = setInterval(tick, 100)
}

function formatSeconds (ms: number): string {
  const s = Math.max(0, ms) / 1000
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.ceil(s)} s`
}

/** Buttons are disabled without a connection, and aria-disabled while the budget is spent. */
function updateButtons (): void {
  const connected = connection.state.kind === 'connected' && budget !== undefined
  const limited = connected && limitedMs() > 0
  for (const button of view.heroes.querySelectorAll('button')) {
    button.disabled = !connected
    if (limited) button.setAttribute('aria-disabled', 'true')
    else button.removeAttribute('aria-disabled')
  }
}

function addAnswerCard (hero: string): HTMLLIElement {
  const name = heroNames.get(hero) ?? hero
  const card = element('li', 'answer')
  card.dataset.hero = hero
  card.dataset.state = 'pending'
  card.dataset.tone = String(toneOf(hero))
  const body = element('div', 'answer-body')
  body.append(element('p', 'answer-hero', name), element('p', 'answer-name', 'Asking…'))
  const clock = { hour: '2-digit', minute: '2-digit', second: '2-digit' } as const
  const time = element('time', 'answer-time', new Date().toLocaleTimeString([], clock))
  time.dateTime = new Date().toISOString()
  card.append(avatar(name), body, time)
  view.answers.prepend(card)
  while (view.answers.children.length > MAX_ANSWERS) view.answers.lastElementChild?.remove()
  view.answersEmpty.hidden = true
  view.answersClear.hidden = false
  view.answersAnnounce.textContent = ''
  return card
}

/**
 * Empties the list (a question still on its way keeps its card off the page, so replies still pair
 * with their questions), says so to screen readers, and puts the focus on the list's heading, as
 * the button goes away.
 */
function clearAnswers (): void {
  view.answers.replaceChildren()
  view.answersEmpty.hidden = false
  view.answersClear.hidden = true
  view.answersAnnounce.textContent = 'Answers cleared.'
  view.answersTitle.focus()
}

function settleCard (card: HTMLLIElement, state: 'done' | 'error', text: string): void {
  card.dataset.state = state
  const name = card.querySelector('.answer-name')
  if (name !== null) name.textContent = text
}

/**
 * The card a reply answers. The server answers each frame once and in order, so a reply
 * without an id (rate_limited comes before the frame is even parsed) belongs to the oldest
 * question still open.
 */
function takeCard (id: number | undefined): HTMLLIElement | undefined {
  const key = id ?? pending.keys().next().value
  if (key === undefined) return undefined
  const card = pending.get(key)
  pending.delete(key)
  return card
}

function failPending (): void {
  for (const card of pending.values()) settleCard(card, 'error', 'No answer: the connection closed.')
  pending.clear()
}

function avatar (name: string): HTMLElement {
  const initials = name.split(/\s+/).filter((w) => w !== '').slice(0, 2).map((w) => w[0]?.toUpperCase() ?? '').join('')
  const span = element('span', 'avatar', initials)
  span.setAttribute('aria-hidden', 'true')
  return span
}

/** A stable colour family for a hero id. */
function toneOf (id: string): number {
  let hash = 0
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0
  return hash % TONES
}

function element<K extends keyof HTMLElementTagNameMap> (
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  el.className = className
  if (text !== undefined) el.textContent = text
  return el
}
