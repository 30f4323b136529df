// The client's IP for an upgrade request: the peer address, or with TRUST_PROXY_HOPS = n the
// n-th X-Forwarded-For entry from the right (entries further left are client-controlled).
import type { IncomingMessage } from 'node:http'

/** The client IP of `req`, IPv4-mapped IPv6 addresses folded to IPv4. */
export function clientIp (req: IncomingMessage, trustProxyHops: number): string {
  let ip = req.socket.remoteAddress ?? 'unknown'
  const forwarded = req.headers['x-forwarded-for']
  if (trustProxyHops > 0 && typeof forwarded === 'string') {
    const hops = forwarded.split(',').map((s) => s.trim()).filter((s) => s !== '')
    const trusted = hops[hops.length - trustProxyHops] ?? hops[0]
    if (trusted !== undefined) ip = trusted
  }
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip
}
