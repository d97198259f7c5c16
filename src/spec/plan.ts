/**
 * Turns a spec into its trials: every variant a sweep can run, fixed before any training, so each
 * one is statically validated up front and a strategy only decides which runs next and how long.
 * Pure and deterministic (src/rng.ts, no Node modules): the sweep workflow re-plans from the spec
 * instead of carrying thousands of variants through its history.
 */
import type { VariantConfig } from '../model/config.js';
import { resolveVariant } from '../model/presets.js';
import { Rng } from '../rng.js';
import type { SweepSpec } from './schema.js';
import { rangeOf, type Choice, type SpaceValue } from './space.js';

export type ParamValue = Choice;

export interface TrialPlan {
  /** 1-based, in plan order. */
  number: number;
  /** The searched values only (the `space` keys), for display, memo and the database. */
  params: Record<string, ParamValue>;
  /** The full variant: preset, then `model`, then `training`, then `params`. */
  variant: VariantConfig;
}

/** Sampled floats keep 4 significant digits, so params read 0.0032 rather than 0.0031872... */
const SIGNIFICANT_DIGITS = 4;

/**
 * grid: the cartesian product of the space's arrays in the spec's key order, the last key varying
 * fastest (nested loops written top to bottom); trial 1 takes every key's first choice.
 * random and asha: `trials` draws from the strategy's seed (default training.seed), trial by trial
 * and key by key in spec order, so the first k trials do not depend on how many are drawn.
 */
export function planTrials(spec: SweepSpec): TrialPlan[] {
  const space = Object.entries(spec.space);
  const paramSets = spec.strategy.type === 'grid' ? gridParams(space) : sampledParams(space, spec.strategy.trials, new Rng(spec.strategy.seed ?? spec.training.seed));
  const { preset, ...fixed } = spec.model;
  const { epochs, batchSize, seed } = spec.training;
  return paramSets.map((params, i) => ({
    number: i + 1,
    params,
    // Param values were checked against their fields by the schema, or are drawn from checked ranges.
    variant: resolveVariant(preset, { ...fixed, epochs, batchSize, seed, ...(params as Partial<VariantConfig>) }),
  }));
}

function gridParams(space: [string, SpaceValue][]): Record<string, ParamValue>[] {
  let combinations: Record<string, ParamValue>[] = [{}];
  for (const [key, value] of space) {
    // The schema accepts only arrays under grid.
    const choices = value as ParamValue[];
    combinations = combinations.flatMap((params) => choices.map((choice) => ({ ...params, [key]: choice })));
  }
  return combinations;
}

function sampledParams(space: [string, SpaceValue][], trials: number, rng: Rng): Record<string, ParamValue>[] {
  return Array.from({ length: trials }, () => Object.fromEntries(space.map(([key, value]) => [key, sample(value, rng)])));
}

function sample(value: SpaceValue, rng: Rng): ParamValue {
  if (Array.isArray(value)) return value[rng.int(0, value.length - 1)]!;
  const { kind, low, high } = rangeOf(value);
  switch (kind) {
    case 'int':
      return rng.int(low, high);
    case 'uniform':
      return roundWithin(rng.uniform(low, high), low, high);
    case 'logUniform':
      return roundWithin(Math.exp(rng.uniform(Math.log(low), Math.log(high))), low, high);
  }
}

function roundWithin(x: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, Number(x.toPrecision(SIGNIFICANT_DIGITS))));
}
