import { PermanentError } from './domain/permanent-errors.js';

/**
 * An expected, user-facing error: bad input, bad usage or bad configuration.
 * The CLI prints only its message (no stack) and exits with code 2.
 * The message must name the file, field or parameter at fault and what was expected.
 */
export class UserError extends PermanentError {
  readonly exitCode: number = 2;
  constructor(
    message: string,
    readonly problems: readonly string[] = [message],
  ) {
    super(message, 'UserError');
  }

  /** One error listing many problems, each on its own line. */
  static of(title: string, problems: readonly string[]): UserError {
    return new UserError([title, ...problems.map((p) => `  - ${p}`)].join('\n'), problems);
  }
}

/** Exit code of a command that cannot reach a service it needs (PostgreSQL, Temporal): not the user's input, try again later. */
export const UNREACHABLE_EXIT = 4;

/** A UserError for a service that does not answer (refused, unknown host, timed out): exit code UNREACHABLE_EXIT. */
export class UnreachableError extends UserError {
  override readonly exitCode = UNREACHABLE_EXIT;
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}
