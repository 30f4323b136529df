// The messages the client sends and accepts. The validators and types come from
// client/generated/, which the build generates from schemas/*.json: the same files the server
// compiles, so a schema change reaches both sides or fails the build.
import {
  CLIENT_MESSAGE_VALIDATORS,
  SERVER_MESSAGE_VALIDATORS,
  type GetNameMessage,
  type ServerMessage,
  type Validator
} from './generated/protocol.js'

export type {
  ErrorMessage, GetNameMessage, NameMessage, ServerMessage, UserAuthorizedMessage
} from './generated/protocol.js'

/** What a close code asks the client to do; see closeAction. */
export type CloseAction = 'reconnect' | 'probe' | 'session_ended' | 'account_removed' | 'stop'

/** Close codes the server sends (src/errors.ts CLOSE_CODES). */
export const CLOSE = Object.freeze({
  goingAway: 1001,
  unsupportedData: 1003,
  abnormal: 1006,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  sessionEnded: 4401,
  accountRemoved: 4410
})

/**
 * Parses one text frame from the server. Returns undefined for anything that is not JSON or
 * does not match the schema of its `type`: such a message is ignored, never half-used.
 */
export function parseServerMessage (text: string): ServerMessage | undefined {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return undefined
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined
  const type = (data as { type?: unknown }).type
  if (typeof type !== 'string' || !Object.hasOwn(SERVER_MESSAGE_VALIDATORS, type)) return undefined
  const validate = SERVER_MESSAGE_VALIDATORS[type as ServerMessage['type']] as Validator<ServerMessage>
  return validate(data) ? data : undefined
}

/**
 * The text frame asking for a hero's real name.
 * @param id request id (0 to 2^31-1), echoed in the reply
 * @throws Error when the message would not match schemas/get-name.json
 */
export function encodeGetName (hero: string, id: number): string {
  const message: GetNameMessage = { type: 'get_name', id, hero }
  const validate = CLIENT_MESSAGE_VALIDATORS.get_name
  if (!validate(message)) {
    throw new Error(`get_name does not match the schema: ${validate.errors?.[0]?.message ?? 'invalid'}`)
  }
  return JSON.stringify(message)
}

/**
 * What to do after the socket closed with `code`.
 * A close before open is a refused handshake (or no server): the browser hides the HTTP status,
 * so the caller probes the session to tell "logged out" from "server down". 4401 means the
 * session ended, 4410 that it ended because an administrator removed the account; 1008, 1003 and
 * 1009 mean this page broke the rules, and retrying would only repeat it. Anything else (1001
 * restart, 1006 lost network, 1011) is worth a retry.
 * @param opened whether the socket had opened before it closed
 */
export function closeAction (code: number, opened: boolean): CloseAction {
  if (!opened) return 'probe'
  switch (code) {
    case CLOSE.sessionEnded: return 'session_ended'
    case CLOSE.accountRemoved: return 'account_removed'
    case CLOSE.policyViolation:
    case CLOSE.unsupportedData:
    case CLOSE.messageTooBig: return 'stop'
    default: return 'reconnect'
  }
}
