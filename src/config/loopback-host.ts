// Which hosts are loopback: the development certificate, a plain-HTTP operators' listener and a
// Redis without a password are allowed only there.

/** Loopback hosts, for which the development certificate may be used. */
export function isLoopbackHost (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}
