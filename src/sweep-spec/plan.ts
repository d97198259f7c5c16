/**
 * Turns a spec into what runs, outside workflow code: the strategy's plain-JSON setup, the base
 * model every trial's variant is resolved from, and, for validation before start, every trial the
 * grid/random/ASHA strategies will run (the same params they pick inside the workflow, from the
 * same code in src/strategy/space.ts). The workflow never imports this module (it pulls in zod
 * and the model presets): see workflows/sweep.ts.
 */
import type { VariantConfig } from '../model/config.js';
import { resolveVariant } from '../model/presets.js';
import { inspectVariant } from '../model/shapes.js';
import { nextParams, sequentialTrialCount } from '../strategy/sequential.js';
import type { ParamSpace, Params, SearchSpace } from '../strategy/space.js';
import type { StrategySetup, WarmStartTrial } from '../strategy/types.js';
import { Rng } from '../rng.js';
import type { SweepSpec } from './schema.js';
import { rangeOf } from './space.js';
import type { BaseModel, SweepInput } from '../../workflows/types.js';

export interface TrialPlan {
  /** 1-based, in start order. */
  number: number;
  /** The searched values only (the `space` keys), for display, memo and the database. */
  params: Params;
  /** The full variant: preset, then `model`, then `training`, then `params`. */
  variant: VariantConfig;
}

export function baseModelOf(spec: SweepSpec): BaseModel {
  const { preset, ...fixed } = spec.model;
  const { epochs, batchSize, seed } = spec.training;
  return { ...(preset !== undefined && { preset }), fields: { ...fixed, epochs, batchSize, seed } };
}

/** The trial's full variant. Params were checked against their fields by the schema or drawn from checked ranges. */
export function variantOf(base: BaseModel, params: Params): VariantConfig {
  return resolveVariant(base.preset, { ...base.fields, ...(params as Partial<VariantConfig>) });
}

/** The variant, or the shape problems that make it unbuildable (`field: message`). */
export function checkedVariantOf(base: BaseModel, params: Params): { variant: VariantConfig; problems: string[] } {
  const variant = variantOf(base, params);
  const inspection = inspectVariant(variant);
  return { variant, problems: inspection.ok ? [] : inspection.problems.map((p) => `${p.param}: ${p.message}`) };
}

export function searchSpaceOf(spec: SweepSpec): SearchSpace {
  return Object.entries(spec.space).map(([name, value]): ParamSpace => (Array.isArray(value) ? { name, kind: 'choice', choices: [...value] } : { name, ...rangeOf(value) }));
}

export function strategySetupOf(spec: SweepSpec): StrategySetup {
  return {
    strategy: spec.strategy,
    objective: spec.objective,
    ...(spec.objectives && { objectives: spec.objectives }),
    ...(spec.constraints && { constraints: spec.constraints }),
    ...(spec.enqueue && { enqueue: spec.enqueue }),
    epochs: spec.training.epochs,
    seed: ('seed' in spec.strategy ? spec.strategy.seed : undefined) ?? spec.training.seed,
    space: searchSpaceOf(spec),
  };
}

/**
 * Every trial the sweep will run, in start order: grid visits the cartesian product in the spec's
 * key order, the last key varying fastest; random and asha draw `trials` points from the strategy's
 * seed (default training.seed), trial by trial and key by key, so the first k trials do not depend
 * on how many are drawn. TPE (alone or as asha's sampler) chooses params from results at run time:
 * its plan is random draws, shape-checked with the corners of the space (src/sweep-spec/validate.ts).
 */
export function planTrials(spec: SweepSpec): TrialPlan[] {
  const setup = strategySetupOf(spec);
  const base = baseModelOf(spec);
  const sampler = spec.strategy.type === 'grid' ? 'grid' : 'random';
  const count = spec.strategy.type === 'asha' ? spec.strategy.trials : sequentialTrialCount(setup);
  let rngState = new Rng(setup.seed).state;
  // Random search runs the enqueued configurations first, without drawing (src/strategy/sequential.ts).
  const enqueued = spec.strategy.type === 'random' ? (spec.enqueue ?? []) : [];
  return Array.from({ length: count }, (_, i) => {
    if (i < enqueued.length) return { number: i + 1, params: enqueued[i]!, variant: variantOf(base, enqueued[i]!) };
    const next = nextParams({ sampler, space: setup.space, nextTrial: i + 1, rngState });
    rngState = next.rngState;
    return { number: i + 1, params: next.params, variant: variantOf(base, next.params) };
  });
}

/** The sweep workflow's input: everything it needs, as plain JSON, so the workflow plans nothing itself. */
export function sweepInputOf(
  spec: SweepSpec,
  run: { sweepId: string; baseDir: string; datasetFingerprint: string; seqLen: number; trainQueue: string; totalTrials: number; trialRunsPerHistory?: number; warmStart?: WarmStartTrial[] },
): SweepInput {
  return {
    sweepId: run.sweepId,
    name: spec.name,
    setup: { ...strategySetupOf(spec), ...(run.warmStart && { warmStart: run.warmStart }) },
    totalTrials: run.totalTrials,
    maxConcurrentTrials: spec.maxConcurrentTrials,
    training: {
      model: baseModelOf(spec),
      dataset: { spec: spec.dataset, baseDir: run.baseDir, seqLen: run.seqLen, fingerprint: run.datasetFingerprint },
      ...(spec.training.earlyStopping && { earlyStopping: spec.training.earlyStopping }),
      backend: spec.training.backend,
      // Only when off: sweeps started before the option have the same input.
      ...(!spec.training.compile && { compile: false }),
      ...(spec.training.xla && { xla: true }),
      objective: spec.objective,
      trainQueue: run.trainQueue,
    },
    ...(run.trialRunsPerHistory !== undefined && { trialRunsPerHistory: run.trialRunsPerHistory }),
  };
}
