/**
 * The search space as strategies see it: plain JSON, one entry per searched field in spec order,
 * built from the spec's `space` outside workflow code (src/sweep-spec/plan.ts `strategySetupOf`).
 * The points a grid visits and the draws random search makes live here, so the planner that
 * validates a sweep before it starts and the strategies that pick trials inside the workflow
 * produce the same params from one piece of code. Pure: workflow code imports it.
 */
import { Rng } from '../rng.js';

export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

export type ParamSpace = { name: string; kind: 'choice'; choices: ParamValue[] } | { name: string; kind: 'int' | 'uniform' | 'logUniform'; low: number; high: number };

export type SearchSpace = ParamSpace[];

/** Sampled floats keep 4 significant digits, so params read 0.0032 rather than 0.0031872... */
const SIGNIFICANT_DIGITS = 4;

/** Number of grid points: the product of the choice counts (every entry must be a choice). */
export function gridSize(space: SearchSpace): number {
  return space.reduce((n, param) => n * choicesOf(param).length, 1);
}

/**
 * Grid point `index` (0-based) of the cartesian product in spec key order, the last key varying
 * fastest (nested loops written top to bottom); point 0 takes every key's first choice.
 */
export function gridPoint(space: SearchSpace, index: number): Params {
  const params: Params = {};
  let rest = index;
  for (let i = space.length - 1; i >= 0; i--) {
    const param = space[i]!;
    const choices = choicesOf(param);
    params[param.name] = choices[rest % choices.length]!;
    rest = Math.floor(rest / choices.length);
  }
  // Spec key order, as the grid's nested loops read.
  return Object.fromEntries(space.map((param) => [param.name, params[param.name]!]));
}

/** One random draw, key by key in spec order, advancing `rng`. */
export function samplePoint(space: SearchSpace, rng: Rng): Params {
  return Object.fromEntries(space.map((param) => [param.name, sample(param, rng)]));
}

function sample(param: ParamSpace, rng: Rng): ParamValue {
  switch (param.kind) {
    case 'choice':
      return param.choices[rng.int(0, param.choices.length - 1)]!;
    case 'int':
      return rng.int(param.low, param.high);
    case 'uniform':
      return roundFloat(rng.uniform(param.low, param.high), param.low, param.high);
    case 'logUniform':
      return roundFloat(Math.exp(rng.uniform(Math.log(param.low), Math.log(param.high))), param.low, param.high);
  }
}

function choicesOf(param: ParamSpace): ParamValue[] {
  if (param.kind !== 'choice') throw new Error(`grid needs choices for ${param.name}, got a ${param.kind} range`);
  return param.choices;
}

/** A sampled float as every strategy stores it: SIGNIFICANT_DIGITS digits, kept inside [low, high]. */
export function roundFloat(x: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, Number(x.toPrecision(SIGNIFICANT_DIGITS))));
}
