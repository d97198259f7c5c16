/**
 * Sweep and trial ids: they become directory names and object keys (checkpoints, exported models),
 * so an id must be one safe path segment wherever it comes from (the CLI, a workflow input, a
 * retried activity). Pure.
 */
const SAFE_ID = /^[A-Za-z0-9_-]+$/;

/** The problem with an id used as a path segment, or undefined when it is safe. */
export function idProblem(what: 'sweep id' | 'trial id', id: string): string | undefined {
  return SAFE_ID.test(id) ? undefined : `${what} ${JSON.stringify(id)} must match ${String(SAFE_ID)} (it names directories and objects)`;
}
