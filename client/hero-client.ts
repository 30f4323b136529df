// The hero page: connects to wss://<this host>/ws, shows who is logged in and the connection
// state, renders one button per hero from user_authorized, and lists the answers. Everything
// the server sends is inserted with textContent.
import { ReconnectingSocket, type ConnectionState } from './reconnecting-socket.js'
import { encodeGetName, type ErrorMessage, type NameMessage, type UserAuthorizedMessage } from './messages.js'

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
  action: byId<HTMLButtonElement>('status-action'),
  who: byId('who'),
  heroes: byId('heroes'),
  answers: byId<HTMLOListElement>('answers'),
  answersEmpty: byId('answers-empty'),
  logoutForm: byId<HTMLFormElement>('logout-form')
}

/** Hero id → display name, from the last user_authorized. */
const heroNames = new Map<string, string>()
/** Request id → its answer card, until the reply arrives. */
const pending = new Map<number, HTMLLIElement>()
let nextRequestId = 1
/** Epoch ms until which the server asked us to slow down. */
let limitedUntil = 0
/** Epoch ms of the next reconnect attempt while waiting. */
let retryAt = 0
let ticker: ReturnType<typeof setInterval> | undefined

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
  if (button !== null && !button.disabled) ask(button.dataset.hero ?? '')
})
view.action.addEventListener('click', () => {
  if (connection.state.kind === 'failed') location.reload()
  else connection.retryNow()
})
view.logoutForm.addEventListener('submit', () => connection.stop())
window.addEventListener('pagehide', () => connection.stop())
// Back from the back/forward cache, the stopped connection would stay stopped: start afresh.
window.addEventListener('pageshow', (event) => { if (event.persisted) location.reload() })
window.addEventListener('online', () => connection.retryNow())
connection.start()

function ask (hero: string): void {
  if (!canAsk()) return
  const id = nextRequestId
  nextRequestId = nextRequestId >= MAX_REQUEST_ID ? 1 : nextRequestId + 1
  const card = addAnswerCard(hero)
  if (!connection.send(encodeGetName(hero, id))) {
    settleCard(card, 'error', 'Not sent: the connection is down.')
    return
  }
  pending.set(id, card)
}

function renderHeroes (message: UserAuthorizedMessage): void {
  view.who.replaceChildren('Signed in as ', element('strong', 'who-name', message.user.username))
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
  const card = takeCard(message.id) ?? addAnswerCard(message.hero)
  settleCard(card, 'done', message.hero_name)
}

function renderError (message: ErrorMessage): void {
  const card = takeCard(message.id)
  if (message.code === 'rate_limited') {
    limitedUntil = Date.now() + (message.retryAfterMs ?? 1000)
    renderState(connection.state)
    if (card !== undefined) settleCard(card, 'error', 'Not answered: too many questions at once.')
    return
  }
  if (card !== undefined) settleCard(card, 'error', message.message)
  else console.warn(`hero-socket: the server reported ${message.code}`)
}

function renderState (state: ConnectionState): void {
  const now = Date.now()
  view.action.hidden = true
  view.countdown.textContent = ''
  retryAt = 0
  switch (state.kind) {
    case 'connecting':
      setStatus(state.retry ? 'reconnecting' : 'connecting', state.retry ? 'Reconnecting…' : 'Connecting to the hero server…')
      break
    case 'connected':
      if (limitedUntil > now) setStatus('limited', 'Slow down: you can ask again in')
      else setStatus('connected', 'Connected. Pick a hero to learn who is behind the mask.')
      break
    case 'waiting': {
      const text = {
        shutdown: 'The server is restarting. Reconnecting in',
        lost: 'Connection lost. Reconnecting in',
        unreachable: 'The server cannot be reached. Retrying in',
        refused: 'The server turned the connection down (too many open tabs?). Retrying in'
      }[state.reason]
      setStatus(state.reason === 'shutdown' ? 'shutdown' : 'reconnecting', text)
      retryAt = state.retryAt
      showAction('Retry now')
      break
    }
    case 'ended':
      setStatus('ended', 'Your session has ended. Taking you to the login page…')
      setTimeout(() => location.assign('/login?notice=session_ended'), SESSION_ENDED_REDIRECT_MS)
      break
    case 'failed':
      setStatus('failed', `The server closed the connection (code ${state.code}). Reload the page to start again.`)
      showAction('Reload')
      break
  }
  if (state.kind !== 'connected') failPending()
  updateButtons()
  tick()
}

function setStatus (state: string, text: string): void {
  view.status.dataset.state = state
  view.statusText.textContent = text
}

function showAction (label: string): void {
  view.action.textContent = label
  view.action.hidden = false
}

/** Updates the countdown, and lifts the slow-down when its time is up. */
function tick (): void {
  const now = Date.now()
  const limited = connection.state.kind === 'connected' && limitedUntil > now
  const deadline = retryAt > 0 ? retryAt : limited ? limitedUntil : 0
  if (deadline === 0) {
    if (view.status.dataset.state === 'limited') renderState(connection.state)
    if (ticker !== undefined) clearInterval(ticker)
    ticker = undefined
    return
  }
  view.countdown.textContent = ` ${formatSeconds(deadline - now)}`
  if (ticker === undefined) ticker = setInterval(tick, 200)
  if (limited !== (view.status.dataset.state === 'limited')) renderState(connection.state)
}

function formatSeconds (ms: number): string {
  const s = Math.max(0, ms) / 1000
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.ceil(s)} s`
}

function canAsk (): boolean {
  return connection.state.kind === 'connected' && limitedUntil <= Date.now()
}

function updateButtons (): void {
  const enabled = canAsk()
  for (const button of view.heroes.querySelectorAll('button')) button.disabled = !enabled
}

function addAnswerCard (hero: string): HTMLLIElement {
  const name = heroNames.get(hero) ?? hero
  const card = element('li', 'answer')
  card.dataset.hero = hero
  card.dataset.state = 'pending'
  card.dataset.tone = String(toneOf(hero))
  const body = element('div', 'answer-body')
  body.append(element('p', 'answer-hero', name), element('p', 'answer-name', 'Asking…'))
  const time = element('time', 'answer-time', new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }))
  time.dateTime = new Date().toISOString()
  card.append(avatar(name), body, time)
  view.answers.prepend(card)
  while (view.answers.children.length > MAX_ANSWERS) view.answers.lastElementChild?.remove()
  view.answersEmpty.hidden = true
  return card
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

function element<K extends keyof HTMLElementTagNameMap> (tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  el.className = className
  if (text !== undefined) el.textContent = text
  return el
}
