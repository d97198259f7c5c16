/**
 * An expected, user-facing error: bad input, bad usage or bad configuration.
 * The CLI prints only its message (no stack) and exits with code 2.
 * The message must name the file, field or parameter at fault and what was expected.
 */
export class UserError extends Error {
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
    this.name = 'UserError';
  }

  /** One error listing many problems, each on its own line. */
  static of(title: string, problems: readonly string[]): UserError {
    return new UserError([title, ...problems.map((p) => `  - ${p}`)].join('\n'), problems);
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}
