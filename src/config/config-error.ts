// The error a bad configuration value stops start-up with: it names the environment variable.
// A leaf, so that every part of src/config/ (and the readers of start-up files) can throw it.

/** Thrown for a bad configuration value; `variable` names the environment variable. */
export class ConfigError extends Error {
  readonly variable: string
  constructor (variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}
