// The Origin allow-list, shared by the login and logout forms, the cross-site refusal, the CSP
// and the WebSocket gate. Origins are compared as whole strings (scheme, host and port exactly):
// no prefix, suffix or wildcard matching.
import { defaultOrigins, type Config } from '../config/config.js'

/** Exact-match set of allowed origins; the default list is fixed once the port is known. */
export class AllowedOrigins {
  #origins: ReadonlySet<string> = new Set()

  /** Sets the list from ALLOWED_ORIGINS, or the default for the port the server listens on. */
  resolve (config: Pick<Config, 'http' | 'tls'>, listeningPort: number): void {
    this.#origins = new Set(config.http.allowedOrigins ?? defaultOrigins(listeningPort, config.tls.enabled))
  }

  /** True only for an origin that is exactly one of the allowed ones. */
  has (origin: string | undefined): boolean {
    return origin !== undefined && this.#origins.has(origin)
  }

  /** The allowed origins, for the CSP and start-up log. */
  list (): readonly string[] {
    return [...this.#origins]
  }
}
