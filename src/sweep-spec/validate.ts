/**
 * Static validation of a whole sweep before any compute: every planned variant goes through the
 * model's shape check, and each problem is traced back to the spec value that caused it.
 * Pure, like the planner.
 */
import type { VariantConfig } from '../model/config.js';
import { DEFAULT_PRESET } from '../model/presets.js';
import { inspectVariant } from '../model/shapes.js';
import { tpeSpaceOf, validationProbes } from '../strategy/tpe-space.js';
import { baseModelOf, planTrials, searchSpaceOf, variantOf, type TrialPlan } from './plan.js';
import type { SweepSpec } from './schema.js';
import { TRAINING_FIELDS } from './space.js';

export interface SweepValidation {
  trials: TrialPlan[];
  /** `<JSON path>: <message>`, each distinct message once, in plan order. */
  problems: string[];
}

export function validateSweep(spec: SweepSpec): SweepValidation {
  const trials = planTrials(spec);
  const problems = new Set<string>();
  for (const trial of [...trials, ...runTimeProbes(spec), ...enqueuedTrials(spec)]) {
    const inspection = inspectVariant(trial.variant);
    if (inspection.ok) continue;
    for (const problem of inspection.problems) problems.add(`${sourceOf(spec, trial, problem.param)}: ${problem.message}`);
  }
  const window = spec.dataset.format === 'genome' ? spec.dataset.window : undefined;
  for (const trial of window === undefined ? [] : trials) {
    if (trial.variant.seqLen !== window) {
      problems.add(
        `${sourceOf(spec, trial, 'seqLen')}: seqLen ${trial.variant.seqLen} differs from dataset.window ${window}; the model reads whole genome windows, so model.seqLen must equal dataset.window`,
      );
    }
  }
  return { trials, problems: [...problems] };
}

/**
 * TPE chooses params at run time, anywhere in the space: besides its planned draws, check the
 * corners of the space (tpe-space.ts's validationProbes). A variant that still fails its shapes at
 * run time fails its trial at once ('InvalidVariant', not retried), and TPE counts
 * it as a failure.
 */
function runTimeProbes(spec: SweepSpec): TrialPlan[] {
  const strategy = spec.strategy;
  if (strategy.type !== 'tpe' && !(strategy.type === 'asha' && strategy.sampler === 'tpe')) return [];
  const base = baseModelOf(spec);
  return validationProbes(tpeSpaceOf(searchSpaceOf(spec))).map((params) => ({ number: 0, params, variant: variantOf(base, params) }));
}

/** The enqueued configurations: they run as given, so their variants are checked like planned ones. */
function enqueuedTrials(spec: SweepSpec): TrialPlan[] {
  const base = baseModelOf(spec);
  return (spec.enqueue ?? []).map((params, i) => ({ number: i + 1, params, variant: variantOf(base, params) }));
}

/**
 * Where a variant's value comes from: `space.X[i]` (a choice), `space.X (sampled v)` (a range),
 * `model.X`, `training.X`, or the preset when the spec does not set X.
 */
function sourceOf(spec: SweepSpec, trial: TrialPlan, param: keyof VariantConfig): string {
  const searched = spec.space[param];
  if (searched !== undefined) {
    const value = trial.params[param]!;
    return Array.isArray(searched) ? `space.${param}[${searched.indexOf(value)}]` : `space.${param} (sampled ${value})`;
  }
  if (param in spec.model) return `model.${param}`;
  if ((TRAINING_FIELDS as readonly string[]).includes(param)) return `training.${param}`;
  if (param === 'poolStride') return sourceOf(spec, trial, 'poolSize');
  return `model.${param} (from preset ${spec.model.preset ?? DEFAULT_PRESET})`;
}
