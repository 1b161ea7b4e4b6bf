/**
 * The errors callers catch: a user error is printed as one line (`error: …`)
 * without a stack, because its message alone says what to do.
 *
 * @module
 */

/** A failure the user can fix (bad flag, unreachable service); printed without a stack. */
export class UserError extends Error {
  override name = "UserError";
}

/** A missing or malformed setting or flag value; its message names the variable or flag. */
export class ConfigError extends UserError {
  override name = "ConfigError";
}

/** True for errors whose message alone tells the user what to do. */
export function isUserError(e: unknown): e is Error {
  return e instanceof UserError;
}
