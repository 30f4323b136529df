// Ports for servers that must be told theirs up front (redis-server, whose --port 0 means no TCP at
// all; nginx, which cannot listen on port 0). A port found free may be taken before the server
// binds it (any outgoing connection may pick it as its local port), so such a server is started
// through startOnFreePort: its starter reports a bind that failed as PortInUseError, and it is
// started again on another port, a bounded number of times. A server that can listen on port 0
// and report its port (Fastify, ws, a server process, prometheus) does that instead.
import { once } from 'node:events'
import net from 'node:net'

/** Chooses a port to try on 127.0.0.1. */
export type PortPicker = () => Promise<number>

/** Tries per start before giving up, by default: each is a new port. */
export const PORT_ATTEMPTS = 5

/** A TCP port free on 127.0.0.1 right now (the kernel's choice for port 0); the default PortPicker. */
export async function freeLoopbackPort (): Promise<number> {
  const probe = net.createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as net.AddressInfo
  probe.close()
  await once(probe, 'close')
  return port
}

/** A server could not bind `port`: someone else holds it (EADDRINUSE), seen in the server's own output. */
export class PortInUseError extends Error {
  override name = 'PortInUseError'
  readonly port: number
  constructor (port: number, detail: string) {
    super(`port ${port} is in use: ${detail}`)
    this.port = port
  }
}

export interface StartOnFreePortOptions {
  /** Where ports come from; default freeLoopbackPort (tests inject one that takes the port first). */
  readonly pickPort?: PortPicker
  /** Starts tried, each on a new port; default PORT_ATTEMPTS. */
  readonly attempts?: number
}

/**
 * Starts a server on a port picked now, and again on a new one each time `start` rejects with
 * PortInUseError (at most `attempts` starts). `start` must have cleaned up after a failed bind
 * (its process exited) before it rejects. Any other error is passed on at once.
 * @returns what `start` resolved with on the port it could bind
 * @throws PortInUseError when every attempt found its port taken
 */
export async function startOnFreePort<T> (
  start: (port: number) => Promise<T>, options: StartOnFreePortOptions = {}
): Promise<T> {
  const { pickPort = freeLoopbackPort, attempts = PORT_ATTEMPTS } = options
  for (let attempt = 1; ; attempt++) {
    const port = await pickPort()
    try {
      return await start(port)
    } catch (err) {
      if (!(err instanceof PortInUseError) || attempt >= attempts) throw err
    }
  }
}
