/**
 * The search space as a model-based sampler sees it: an ordered list of parameters, each
 * categorical, an integer range or a float range (linear or log), built from the strategy setup's
 * SearchSpace (space.ts). Pure and dependency-free, so it runs inside workflow code and travels in
 * a strategy's carried state.
 */
import type { Rng } from '../rng.js';
import { samplePoint, type Params, type ParamValue, type SearchSpace } from './space.js';

export type TpeParam =
  { name: string; kind: 'categorical'; choices: ParamValue[] } | { name: string; kind: 'int'; low: number; high: number } | { name: string; kind: 'float'; low: number; high: number; log: boolean };

export function tpeSpaceOf(space: SearchSpace): TpeParam[] {
  return space.map((param): TpeParam => {
    switch (param.kind) {
      case 'choice':
        return { name: param.name, kind: 'categorical', choices: param.choices };
      case 'int':
        return { name: param.name, kind: 'int', low: param.low, high: param.high };
      case 'uniform':
      case 'logUniform':
        return { name: param.name, kind: 'float', low: param.low, high: param.high, log: param.kind === 'logUniform' };
    }
  });
}

/** The SearchSpace a TPE space came from, for draws from the prior with random search's own code. */
function searchSpaceOf(space: readonly TpeParam[]): SearchSpace {
  return space.map((param) => {
    if (param.kind === 'categorical') return { name: param.name, kind: 'choice', choices: param.choices };
    if (param.kind === 'int') return { name: param.name, kind: 'int', low: param.low, high: param.high };
    return { name: param.name, kind: param.log ? 'logUniform' : 'uniform', low: param.low, high: param.high };
  });
}

/** One draw from the prior: uniform over choices, integers, the range or its logarithm (random search's draw). */
export function sampleUniform(space: readonly TpeParam[], rng: Rng): Params {
  return samplePoint(searchSpaceOf(space), rng);
}

/** The same configuration: every parameter equal (params are compared by value, in the space's order). */
export function configKey(space: readonly TpeParam[], params: Params): string {
  return JSON.stringify(space.map((param) => params[param.name]));
}

/** Number of distinct configurations, or Infinity when some parameter is a float. */
export function spaceSize(space: readonly TpeParam[]): number {
  let size = 1;
  for (const param of space) {
    if (param.kind === 'float') return Infinity;
    size *= param.kind === 'categorical' ? param.choices.length : param.high - param.low + 1;
  }
  return size;
}

/** Every configuration of a finite space, in order (the last parameter varying fastest). */
export function enumerateSpace(space: readonly TpeParam[]): Params[] {
  let configs: Params[] = [{}];
  for (const param of space) {
    const values = valuesOf(param);
    configs = configs.flatMap((config) => values.map((value) => ({ ...config, [param.name]: value })));
  }
  return configs;
}

function valuesOf(param: TpeParam): ParamValue[] {
  if (param.kind === 'categorical') return param.choices;
  if (param.kind === 'int') return Array.from({ length: param.high - param.low + 1 }, (_, i) => param.low + i);
  return [param.low, param.high];
}

/** Above this many corner combinations, validationProbes checks each parameter's extremes one at a time. */
const MAX_PROBES = 4096;

/**
 * Variants a sampler may propose at run time, to shape-check before any compute: every
 * combination of each categorical's choices and each range's two ends (shape limits such as
 * "the conv output is longer than the pool" are monotone in every numeric field, so a range's ends
 * bound its inside). When there are more than MAX_PROBES combinations: all lows, all highs, and
 * each choice or end of one parameter with the others at their first choice or low end.
 */
export function validationProbes(space: readonly TpeParam[]): Params[] {
  const ends = space.map((param) => (param.kind === 'categorical' ? param.choices : [param.low, param.high]));
  const combinations = ends.reduce((n, values) => n * values.length, 1);
  if (combinations <= MAX_PROBES) {
    return enumerateSpace(space.map((param, i) => ({ name: param.name, kind: 'categorical', choices: ends[i]! })));
  }
  const base = Object.fromEntries(space.map((param, i) => [param.name, ends[i]![0]!]));
  const probes: Params[] = [base, Object.fromEntries(space.map((param, i) => [param.name, ends[i]!.at(-1)!]))];
  space.forEach((param, i) => ends[i]!.slice(1).forEach((value) => probes.push({ ...base, [param.name]: value })));
  return probes;
}
