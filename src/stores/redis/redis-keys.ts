// Every key and channel hero-socket uses in Redis, under REDIS_KEY_PREFIX, named in one place.
// Usernames follow the account rules (letters, digits, . _ -) and session keys are hex, so
// neither can break out of its key.

/** The key names of one deployment. */
export class RedisKeys {
  readonly prefix: string

  constructor (prefix: string) {
    this.prefix = prefix
  }

  /** Hash of one session: u (username), c (created at) and s (last seen at) in epoch ms, p (its credential tag). */
  session (sessionKey: string): string {
    return `${this.prefix}session:${sessionKey}`
  }

  /** Prefix of `session(...)`, for scripts that build the key themselves. */
  get sessionPrefix (): string {
    return `${this.prefix}session:`
  }

  /** Set of one user's session keys. */
  userSessions (username: string): string {
    return `${this.prefix}user-sessions:${username}`
  }

  /** Prefix of `userSessions(...)`, for scripts. */
  get userSessionsPrefix (): string {
    return `${this.prefix}user-sessions:`
  }

  /** Sorted set of every session key, scored by when it expires if nobody touches it (epoch ms). */
  get sessionDeadlines (): string {
    return `${this.prefix}session-deadlines`
  }

  /**
   * Channel on which every session end is published (JSON: the session, its reason and origin instance; see parseEnd
   * in ../sessions/redis-session-store.ts).
   */
  get sessionEnds (): string {
    return `${this.prefix}session-ends`
  }

  /** Sorted set of one user's open sockets on every instance, scored by lease expiry (Redis time, ms). */
  userSockets (username: string): string {
    return `${this.prefix}user-sockets:${username}`
  }

  /**
   * Prefix of the HTTP rate limits' counters (hashes: n the count, s the window's start, epoch ms;
   * see redis-rate-limit-scripts.ts). Not `rate:`, where the plugin's own store kept plain
   * counters: an instance of the previous release, during a rolling update, never reads a hash.
   */
  get rateLimits (): string {
    return `${this.prefix}rate-limits:`
  }
}
