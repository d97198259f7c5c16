/**
 * The zod field builders every input schema uses (sweep spec, model variant, dataset), so that a
 * bad value reads the same wherever it is: `must be <what was expected>, got <the value as written>`.
 * Pure (zod only).
 */
import { z } from 'zod';

/** Shows a rejected value as the user wrote it (NaN and Infinity included, which JSON would turn into null). */
export function formatValue(value: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JSON.stringify gives undefined for undefined and functions, though typed string
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}

/** The error option for every way a value can fail its field schema. */
export function expected(what: string) {
  return { error: (issue: { input?: unknown }) => `must be ${what}, got ${formatValue(issue.input)}` };
}

export function positiveInt() {
  const e = expected('a positive integer');
  return z.int(e).positive(e);
}

export function nonNegativeInt() {
  const e = expected('a non-negative integer');
  return z.int(e).nonnegative(e);
}

/** `'a' or 'b' or 'c'`. */
export function choices(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(' or ');
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, expected(choices(values)));
}
