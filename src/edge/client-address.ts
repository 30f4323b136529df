// Who the client is, the same way for every listener (Fastify's routes, the upgrade gate, the
// operators' listener): the peer's address, unless the peer is one of TRUSTED_PROXIES; then
// X-Forwarded-For is read from the right, skipping trusted proxies and anything that is not an IP
// address, and the first other address is the client. Every per-IP limit counts the client's
// key: IPv4-mapped IPv6 folded to IPv4, IPv6 grouped by /64 (one host usually holds a whole
// /64), via @fastify/rate-limit's normalizeIP, so the HTTP limits, the login limits, the
// handshake bucket and the socket cap all see one identity.
import type { IncomingHttpHeaders } from 'node:http'
import { BlockList, isIP } from 'node:net'
import { normalizeIP } from '@fastify/rate-limit'

/** Prefix length IPv6 addresses are grouped by. */
const IPV6_SUBNET = 64

/** The client as every limit and log sees it. */
export interface Client {
  /** The client's address (IPv4-mapped IPv6 folded to IPv4), as logged. */
  readonly address: string
  /** What the per-IP limits count: the address, or its /64 for IPv6. */
  readonly key: string
}

/** The proxies whose forwarded headers are believed. */
export class TrustedProxies {
  readonly #list = new BlockList()
  readonly #empty: boolean

  /** @param entries IP addresses and CIDRs (validated by the configuration) */
  constructor (entries: readonly string[]) {
    this.#empty = entries.length === 0
    for (const entry of entries) {
      const [address = '', bits] = entry.split('/')
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
      if (bits === undefined) this.#list.addAddress(address, family)
      else this.#list.addSubnet(address, Number(bits), family)
    }
  }

  /** True for an address that is one of the trusted proxies. */
  has (address: string): boolean {
    if (this.#empty) return false
    const family = isIP(address)
    return family !== 0 && this.#list.check(address, family === 6 ? 'ipv6' : 'ipv4')
  }
}

/** An IPv4-mapped IPv6 address (::ffff:1.2.3.4, or ::ffff:102:304) as the IPv4 address it is. */
function folded (address: string): string {
  const lower = address.toLowerCase()
  if (!lower.startsWith('::ffff:') || isIP(address) !== 6) return address
  const rest = lower.slice(7)
  if (isIP(rest) === 4) return rest
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(rest)
  if (hex === null) return address
  const high = parseInt(hex[1] ?? '0', 16)
  const low = parseInt(hex[2] ?? '0', 16)
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
}

/**
 * The client of a request from `peer` with these headers.
 * @param peer the socket's remote address
 */
export function clientOf (peer: string | undefined, headers: IncomingHttpHeaders, trusted: TrustedProxies): Client {
  let address = folded(peer ?? '')
  if (trusted.has(address)) {
    const header = headers['x-forwarded-for']
    const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',')
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = folded(hops[i]?.trim() ?? '')
      if (isIP(hop) === 0 || trusted.has(hop)) continue
      address = hop
      break
    }
  }
  if (isIP(address) === 0) address = 'unknown'
  return { address, key: address === 'unknown' ? address : normalizeIP(address, IPV6_SUBNET) }
}
