// What the server does with each client message: one handler per type, in a table whose type
// (generated from schemas/ at build time) makes a client message without a handler a compile
// error. Adding a message type: its schema file (with its example), its handler here.
import type { MessageErrorCode } from '../errors.js'
import type { ClientMessages, ClientMessageType } from './generated/messages.js'
import { HEROES } from './heroes.js'
import { errorMessage, nameMessage } from './messages.js'

/** What a handler knows of the connection it answers. */
export interface HandlerContext {
  readonly username: string
}

/** A handler's answer: the text frame to send back, and how the message was answered. */
export interface Reply {
  readonly frame: string
  /** 'answered', or the error code the reply carries (for the metrics). */
  readonly outcome: 'answered' | MessageErrorCode
}

/** Answers one valid message. */
export type Handler<M> = (message: M, context: HandlerContext) => Reply

/** One handler for every client message type. */
export type HandlerTable = { readonly [T in ClientMessageType]: Handler<ClientMessages[T]> }

const table: HandlerTable = {
  // The catalogue is a Map: `__proto__` or `toString` is just an unknown hero.
  get_name (message) {
    const hero = HEROES.get(message.hero)
    return hero === undefined
      ? { frame: errorMessage('unknown_hero', message.id), outcome: 'unknown_hero' }
      : { frame: nameMessage(hero, message.id), outcome: 'answered' }
  }
}

export const HANDLERS: HandlerTable = Object.freeze(table)

/** Answers a valid client message with its type's handler. */
export function handleMessage<T extends ClientMessageType> (
  type: T,
  message: ClientMessages[T],
  context: HandlerContext
): Reply {
  // `type` was checked against the schemas; this keeps the table safe on its own too.
  if (!Object.hasOwn(HANDLERS, type)) throw new TypeError(`no handler for message type ${JSON.stringify(type)}`)
  const handler: Handler<ClientMessages[T]> = HANDLERS[type]
  return handler(message, context)
}

/**
 * Fails start-up when the schemas name a client message with no handler (a build older than
 * schemas/), or the table has a handler for a type no schema describes.
 */
export function assertHandlersMatch (clientTypes: readonly string[]): void {
  const missing = clientTypes.filter((type) => !Object.hasOwn(HANDLERS, type))
  const extra = Object.keys(HANDLERS).filter((type) => !clientTypes.includes(type))
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`client message handlers do not match schemas/: missing ${missing.join(', ') || 'none'}; no ` +
      `schema for ${extra.join(', ') || 'none'} (run npm run build)`)
  }
}
