// Who the client is (src/edge/client-address.ts): the TRUSTED_PROXIES rule. X-Forwarded-For is
// believed only from a trusted peer and read from the right past trusted hops; anything that is
// not an IP address is skipped; IPv4-mapped IPv6 is folded to IPv4 and IPv6 is keyed by its /64.
import t from 'tap'
import { clientOf, TrustedProxies } from '../../src/edge/client-address.js'

const NONE = new TrustedProxies([])
const PROXY = '10.0.0.5'
const PROXIES = new TrustedProxies([PROXY, '192.168.0.0/16', '2001:db8:ffff::/48'])

t.test('TrustedProxies: addresses and CIDRs of both families; nothing else is trusted', async (t) => {
  t.ok(PROXIES.has(PROXY), 'a listed address')
  t.notOk(PROXIES.has('10.0.0.6'), 'its neighbour')
  t.ok(PROXIES.has('192.168.40.1'), 'inside an IPv4 CIDR')
  t.notOk(PROXIES.has('192.169.0.1'), 'just outside it')
  t.ok(PROXIES.has('2001:db8:ffff:1::1'), 'inside an IPv6 CIDR')
  t.notOk(PROXIES.has('2001:db8:fffe::1'), 'just outside it')
  for (const junk of ['', 'unknown', '10.0.0.5:443', ' 10.0.0.5', 'localhost']) {
    t.notOk(PROXIES.has(junk), `not an address: ${JSON.stringify(junk)}`)
  }
  t.notOk(NONE.has(PROXY), 'an empty list trusts no one')
})

t.test('without trusted proxies the peer is the client, whatever it forwards', async (t) => {
  const client = clientOf('203.0.113.7', { 'x-forwarded-for': '198.51.100.1' }, NONE)
  t.same(client, { address: '203.0.113.7', key: '203.0.113.7' })
})

t.test('an untrusted peer cannot choose its identity with X-Forwarded-For', async (t) => {
  const headers = { 'x-forwarded-for': `198.51.100.1, ${PROXY}` }
  t.same(clientOf('203.0.113.7', headers, PROXIES), { address: '203.0.113.7', key: '203.0.113.7' })
})

t.test('from a trusted proxy the forwarded client is believed', async (t) => {
  const client = clientOf(PROXY, { 'x-forwarded-for': '198.51.100.1' }, PROXIES)
  t.same(client, { address: '198.51.100.1', key: '198.51.100.1' })
})

t.test('a chain is read from the right: trusted hops skipped, the first other address is the client', async (t) => {
  // The leftmost entry is whatever the client sent; only the hops our proxies appended are believed.
  const forged = { 'x-forwarded-for': '1.1.1.1, 198.51.100.1, 192.168.3.4' }
  const client = clientOf(PROXY, forged, PROXIES).address
  t.equal(client, '198.51.100.1', 'past the trusted 192.168.3.4, not the forged 1.1.1.1')
  const repeated = { 'x-forwarded-for': ['1.1.1.1', '198.51.100.2, 10.0.0.5'] }
  t.equal(clientOf(PROXY, repeated, PROXIES).address, '198.51.100.2', 'a header sent twice is one list')
  const allTrusted = { 'x-forwarded-for': '192.168.1.1, 10.0.0.5' }
  t.equal(clientOf(PROXY, allTrusted, PROXIES).address, PROXY, 'all hops trusted: the peer')
  t.equal(clientOf(PROXY, {}, PROXIES).address, PROXY, 'no header: the peer')
})

t.test('malformed hops are skipped, never taken as the client', async (t) => {
  const cases: ReadonlyArray<[string, string]> = [
    ['198.51.100.1, garbage', '198.51.100.1'],
    ['198.51.100.1, 198.51.100.9:4444', '198.51.100.1'],
    ['198.51.100.1, , ,', '198.51.100.1'],
    ['198.51.100.1, unknown', '198.51.100.1'],
    ['198.51.100.1, 999.1.1.1', '198.51.100.1'],
    ['198.51.100.1, [2001:db8::1]', '198.51.100.1'],
    ['', PROXY],
    ['not-an-address', PROXY]
  ]
  for (const [header, client] of cases) {
    t.equal(clientOf(PROXY, { 'x-forwarded-for': header }, PROXIES).address, client, JSON.stringify(header))
  }
})

t.test('IPv6: keyed by its /64, so one host cannot rotate through its subnet', async (t) => {
  const a = clientOf('2001:db8:1:2::1', {}, NONE)
  const b = clientOf('2001:db8:1:2:ffff::9', {}, NONE)
  t.equal(a.address, '2001:db8:1:2::1', 'the address is logged as it is')
  t.equal(a.key, b.key, 'one /64, one key')
  t.not(a.key, clientOf('2001:db8:1:3::1', {}, NONE).key, 'the next /64 is another key')
  const forwarded = clientOf('2001:db8:ffff::2', { 'x-forwarded-for': '2001:db8:1:2::7' }, PROXIES)
  t.same(forwarded, { address: '2001:db8:1:2::7', key: a.key }, 'forwarded by a trusted IPv6 proxy')
})

t.test('IPv4-mapped IPv6 is the IPv4 address it is, for the peer, the proxy list and the hops', async (t) => {
  t.same(clientOf('::ffff:203.0.113.7', {}, NONE), { address: '203.0.113.7', key: '203.0.113.7' }, 'dotted form')
  t.equal(clientOf('::ffff:cb00:7107', {}, NONE).address, '203.0.113.7', 'hexadecimal form')
  t.equal(clientOf('::FFFF:203.0.113.7', {}, NONE).address, '203.0.113.7', 'upper case')
  const mappedHop = { 'x-forwarded-for': '::ffff:198.51.100.1' }
  t.equal(clientOf(`::ffff:${PROXY}`, mappedHop, PROXIES).address, '198.51.100.1', 'mapped proxy trusted, hop folded')
  const mappedTrusted = { 'x-forwarded-for': '198.51.100.1, ::ffff:192.168.0.9' }
  t.equal(clientOf(PROXY, mappedTrusted, PROXIES).address, '198.51.100.1', 'a mapped trusted hop is skipped')
})

t.test('no usable peer address: the client is "unknown", one shared key', async (t) => {
  t.same(clientOf(undefined, { 'x-forwarded-for': '198.51.100.1' }, PROXIES), { address: 'unknown', key: 'unknown' })
  t.same(clientOf('', {}, NONE), { address: 'unknown', key: 'unknown' })
})
