/**
 * A sweep spec's `space`: per variant field, an array of choices or a numeric range. Pure (zod and
 * the model's field schemas only, no Node modules): the planner, which workflows may run, uses it.
 */
import { z } from 'zod';
import { formatValue } from '../field-schemas.js';
import type { VariantConfig } from '../model/config.js';

/** The variant fields that `training` owns: set there, never in `model`; only batchSize may be searched. */
export const TRAINING_FIELDS = ['epochs', 'batchSize', 'seed'] as const satisfies readonly (keyof VariantConfig)[];

/** Largest number of trials a sweep may plan (grid combinations or strategy.trials). */
export const MAX_TRIALS = 100_000;

export const choiceSchema = z.union([z.number(), z.string(), z.boolean()], { error: 'expected a number, string or boolean' });
export type Choice = z.infer<typeof choiceSchema>;

const RANGE = 'expected [low, high]';
const ascending = ([low, high]: readonly [number, number]) => low < high;
const ascendingError = { error: (issue: { input?: unknown }) => `expected low < high, got ${formatValue(issue.input)}` };

const uniformSchema = z
  .strictObject({
    uniform: z.tuple([z.number({ error: 'expected a number' }), z.number({ error: 'expected a number' })], { error: RANGE }).refine(ascending, ascendingError),
  })
  .describe('Uniform in [low, high]');

const positive = z.number({ error: 'expected a number > 0' }).positive({ error: 'expected a number > 0' });
const logUniformSchema = z
  .strictObject({ logUniform: z.tuple([positive, positive], { error: RANGE }).refine(ascending, ascendingError) })
  .describe('Log-uniform in [low, high], both > 0: uniform in log space (learning rates)');

const integer = z.int({ error: 'expected an integer' });
const intSchema = z.strictObject({ int: z.tuple([integer, integer], { error: RANGE }).refine(ascending, ascendingError) }).describe('Integer in [low, high], both inclusive');

export const spaceValueSchema = z.union(
  [z.array(choiceSchema).min(1, { error: 'expected at least one choice' }).describe('Choices: grid tries each; random and asha draw one'), uniformSchema, logUniformSchema, intSchema],
  { error: 'expected an array of choices, {"uniform": [low, high]}, {"logUniform": [low, high]} or {"int": [low, high]}' },
);
export type SpaceValue = z.infer<typeof spaceValueSchema>;
export type Range = { kind: 'uniform' | 'logUniform' | 'int'; low: number; high: number };
export type RangeValue = Exclude<SpaceValue, readonly Choice[]>;

/** The range of a non-array space value. */
export function rangeOf(value: RangeValue): Range {
  if ('uniform' in value) return { kind: 'uniform', low: value.uniform[0], high: value.uniform[1] };
  if ('logUniform' in value) return { kind: 'logUniform', low: value.logUniform[0], high: value.logUniform[1] };
  return { kind: 'int', low: value.int[0], high: value.int[1] };
}
