/**
 * Failures that a retry cannot fix. A thrown error reaches the workflow as a failure whose type is
 * its `name`, and the workflows' retry policies give up at once on every type listed here: a throw
 * site only throws one of these classes, and a class cannot carry a type missing from the list. Pure.
 */
export const permanentErrorTypes = ['UserError', 'InvalidId', 'InvalidVariant', 'DatasetMismatch', 'NonFiniteLossError', 'ArtifactStoreConfigError'] as const;
export type PermanentErrorType = (typeof permanentErrorTypes)[number];

/** Whether a failure of this type (an error's name, a failure's type) would fail again on retry. */
export function isPermanentErrorType(type: string | undefined): boolean {
  return (permanentErrorTypes as readonly (string | undefined)[]).includes(type);
}

export abstract class PermanentError extends Error {
  constructor(message: string, type: PermanentErrorType) {
    super(message);
    this.name = type;
  }
}

/** A sweep or trial id that is not one safe path segment. */
export class InvalidIdError extends PermanentError {
  constructor(message: string) {
    super(message, 'InvalidId');
  }
}

/** A trial's params that make no valid model (say, a pool wider than the conv output). */
export class InvalidVariantError extends PermanentError {
  constructor(message: string) {
    super(message, 'InvalidVariant');
  }
}

/** The dataset a worker prepared differs from the one the sweep was started with. */
export class DatasetMismatchError extends PermanentError {
  constructor(message: string) {
    super(message, 'DatasetMismatch');
  }
}

/** A training loss or validation loss that is NaN or infinite: deterministic. */
export class NonFiniteLossError extends PermanentError {
  constructor(message: string) {
    super(message, 'NonFiniteLossError');
  }
}

/** An artifact store that refuses for good: a missing bucket, a wrong key, access denied. */
export class ArtifactStoreConfigError extends PermanentError {
  constructor(message: string) {
    super(message, 'ArtifactStoreConfigError');
  }
}
