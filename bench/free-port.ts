// A TCP port free on 127.0.0.1 right now, for a server that must be told its port up front
// (redis-server, whose --port 0 means no TCP at all; a process whose URL a test must know).
import { once } from 'node:events'
import net from 'node:net'

export async function freeLoopbackPort (): Promise<number> {
  const probe = net.createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as net.AddressInfo
  probe.close()
  await once(probe, 'close')
  return port
}
