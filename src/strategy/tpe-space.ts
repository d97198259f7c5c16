/**
 * A sweep's `space` as a model-based sampler sees it: an ordered list of parameters, each
 * categorical, an integer range or a float range (linear or log), built from the spec's plain JSON.
 * Pure and dependency-free (no zod: src/spec/space.ts validates the same JSON before it gets here),
 * so it can run inside workflow code and travel in a strategy's carried state.
 */
import type { Rng } from '../rng.js';
import type { ParamValue } from '../spec/types.js';

export type TpeParam =
  | { name: string; kind: 'categorical'; choices: ParamValue[] }
  | { name: string; kind: 'int'; low: number; high: number }
  | { name: string; kind: 'float'; low: number; high: number; log: boolean };

export type Params = Record<string, ParamValue>;

/** Sampled floats keep 4 significant digits, as src/spec/plan.ts draws them for random search. */
const SIGNIFICANT_DIGITS = 4;

/** The spec's `space` (already validated by the schema), in key order. */
export function tpeSpaceOf(space: Readonly<Record<string, unknown>>): TpeParam[] {
  return Object.entries(space).map(([name, value]): TpeParam => {
    if (Array.isArray(value)) return { name, kind: 'categorical', choices: value as ParamValue[] };
    const range = value as { uniform?: [number, number]; logUniform?: [number, number]; int?: [number, number] };
    if (range.int) return { name, kind: 'int', low: range.int[0], high: range.int[1] };
    if (range.logUniform) return { name, kind: 'float', low: range.logUniform[0], high: range.logUniform[1], log: true };
    if (range.uniform) return { name, kind: 'float', low: range.uniform[0], high: range.uniform[1], log: false };
    throw new Error(`space.${name}: not a space value: ${JSON.stringify(value)}`);
  });
}

/** A float as the sweep stores it: 4 significant digits, kept inside [low, high]. */
export function roundFloat(x: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, Number(x.toPrecision(SIGNIFICANT_DIGITS))));
}

/** One draw from the prior: uniform over choices, integers, the range or its logarithm. */
export function sampleUniform(space: readonly TpeParam[], rng: Rng): Params {
  const params: Params = {};
  for (const param of space) {
    switch (param.kind) {
      case 'categorical':
        params[param.name] = param.choices[rng.int(0, param.choices.length - 1)]!;
        break;
      case 'int':
        params[param.name] = rng.int(param.low, param.high);
        break;
      case 'float':
        params[param.name] = param.log
          ? roundFloat(Math.exp(rng.uniform(Math.log(param.low), Math.log(param.high))), param.low, param.high)
          : roundFloat(rng.uniform(param.low, param.high), param.low, param.high);
    }
  }
  return params;
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
