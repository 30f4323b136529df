// The ws server's options, every one set explicitly: noServer (the gate hands it each accepted
// handshake), the payload, fragment and buffer bounds, and permessage-deflate off unless configured.
import type { ServerOptions } from 'ws'
import type { WsConfig } from '../config/config.js'

/** Most fragments of one message, and most buffered network chunks, that ws will hold. */
const MAX_FRAGMENTS = 64
const MAX_BUFFERED_CHUNKS = 1024
/** Closing handshake wait before ws destroys the socket (ms). */
const CLOSE_TIMEOUT_MS = 5000

/** ws options for `config`. Options newer than @types/ws are typed here. */
export function webSocketServerOptions (
  config: Pick<WsConfig, 'maxPayloadBytes' | 'perMessageDeflate' | 'deflateThresholdBytes'>
): ServerOptions & Record<string, unknown> {
  return {
    noServer: true,
    clientTracking: false,
    maxPayload: config.maxPayloadBytes,
    maxFragments: MAX_FRAGMENTS,
    maxBufferedChunks: MAX_BUFFERED_CHUNKS,
    closeTimeout: CLOSE_TIMEOUT_MS,
    // Pings are answered by the connection, within its message budget (connection.ts): a ping
    // flood then ends in 1008 like any other, instead of queueing pongs.
    autoPong: false,
    skipUTF8Validation: false,
    allowSynchronousEvents: true,
    // When on, small messages are sent as they are, and ws bounds the inflated size of every
    // message by maxPayload (zip bombs close with 1009).
    perMessageDeflate: config.perMessageDeflate
      ? {
          threshold: config.deflateThresholdBytes,
          serverNoContextTakeover: true,
          clientNoContextTakeover: true,
          concurrencyLimit: 10
        }
      : false
  }
}
