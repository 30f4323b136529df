// Which hosts are loopback: the development certificate, a plain-HTTP operators' listener and a
// Redis without a password are allowed only there. And which hosts look like a loopback name
// mistyped (`localhst`, `127.0.0.l`), so start-up can suggest the name rather than fail to listen.
import { isIP } from 'node:net'

/** Loopback hosts, for which the development certificate may be used (a host name in any case: DNS ignores it). */
export function isLoopbackHost (host: string): boolean {
  return host.toLowerCase() === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * The loopback name or address `host` looks like a typo of, or undefined: `localhost` within two
 * edits (a letter missing, added, changed or two swapped; any case), or an IPv4 loopback address
 * with a letter l or o for a digit 1 or 0.
 */
export function loopbackTypoOf (host: string): string | undefined {
  if (isLoopbackHost(host) || isIP(host) !== 0) return undefined
  const digits = host.replace(/[lI]/g, '1').replace(/[oO]/g, '0')
  if (isIP(digits) === 4 && isLoopbackHost(digits)) return digits
  const lower = host.toLowerCase()
  return lower.length >= 6 && editDistance(lower, 'localhost') <= 2 ? 'localhost' : undefined
}

/** Edits (insert, delete, change, swap two neighbours) that turn `a` into `b` (optimal string alignment). */
function editDistance (a: string, b: string): number {
  // d[i][j]: edits from a's first i characters to b's first j; d[i][0] = i, d[0][j] = j.
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i + j))
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[]
    const above = d[i - 1] as number[]
    for (let j = 1; j <= b.length; j++) {
      const change = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + change)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1)
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number
}
