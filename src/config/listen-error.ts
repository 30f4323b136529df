// Why a listener could not take its address, said as one line naming the variable to change: a
// port in use, a port that needs privileges, an address this machine does not have. A leaf, like
// config-error.ts, so the public listener (server.ts) and the operators' one can both throw it.

/** Which variables place a listener, and where it tried to listen. */
export interface ListenPlace {
  readonly portVariable: 'PORT' | 'METRICS_PORT'
  readonly hostVariable: 'HOST' | 'METRICS_HOST'
  readonly host: string
  readonly port: number
}

/** A listener could not listen for a reason its configuration can fix; the message says how. */
export class ListenError extends Error {
  override name = 'ListenError'
}

/** `err` as a ListenError when the settings in `place` can fix it; otherwise `err` itself. */
export function explainListenFailure (err: unknown, place: ListenPlace): unknown {
  const { portVariable, hostVariable, host, port } = place
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE':
      return new ListenError(`${portVariable} ${port} is already in use on ${host}: stop the other server or set ` +
        `${portVariable} to a free port.`)
    case 'EACCES':
      return new ListenError(`${portVariable} ${port} needs privileges this process does not have on ${host}: set ` +
        `${portVariable} to a port above 1023 (put a proxy in front for 443).`)
    case 'EADDRNOTAVAIL':
      return new ListenError(`${hostVariable} ${host} is not an address of this machine: set ${hostVariable} to ` +
        'one of its addresses, like 127.0.0.1.')
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ListenError(`${hostVariable} ${host} is a name this machine cannot resolve: set ${hostVariable} ` +
        'to an address, like 127.0.0.1.')
    default:
      return err
  }
}
