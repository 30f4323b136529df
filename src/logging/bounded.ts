// What a log line may carry of a value a client chose (a URL, a header, a name): at most
// MAX_LOGGED_CHARS characters, so no request can write kilobytes into the log.

/** Longest client-supplied string a log field holds, in characters. */
export const MAX_LOGGED_CHARS = 200

/** `value` cut to MAX_LOGGED_CHARS, saying how long it was when cut; undefined stays undefined. */
export function bounded (value: string | undefined, max: number = MAX_LOGGED_CHARS): string | undefined {
  if (value === undefined || value.length <= max) return value
  return `${value.slice(0, max)}… (${value.length} characters)`
}
