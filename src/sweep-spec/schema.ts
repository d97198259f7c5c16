/**
 * The sweep spec (`sweep start spec.json`): what to train on, the fixed model, the searched space,
 * the strategy, training options and the objective. One zod schema checks all of it and reports
 * every problem at once; schema/sweep-spec.schema.json is generated from it for editors.
 * Pure (zod only, no Node modules).
 */
import { z } from 'zod';
import { datasetSpecSchema } from '../data/dataset-spec.js';
import { expected, formatValue, oneOf, positiveInt as positiveIntField } from '../field-schemas.js';
import { modelSpecSchema, variantFieldSchemas, type VariantConfig } from '../model/config.js';
import { OBJECTIVE_MODES, TRIAL_METRICS, TRIAL_METRIC_MODES, type ObjectiveMetric, type TrialMetric } from '../strategy/objective.js';
import { backendChoices } from '../train/backend-name.js';
import { MAX_TRIALS, TRAINING_FIELDS, choiceSchema, rangeOf, spaceValueSchema } from './space.js';

const variantFields = Object.keys(variantFieldSchemas) as (keyof VariantConfig)[];

function isVariantField(key: string): key is keyof VariantConfig {
  return Object.hasOwn(variantFieldSchemas, key);
}

/** The fields a space may search: all but epochs and seed, which training sets for every trial. */
const searchableFields = variantFields.filter((field) => field !== 'epochs' && field !== 'seed');

const positiveInt = positiveIntField();
const seedSchema = variantFieldSchemas.seed;
const trialsSchema = positiveInt.max(MAX_TRIALS, { error: `expected at most ${MAX_TRIALS} trials` }).describe('Number of variants drawn from the space');

/** TPE's options, for "type": "tpe" and for asha with "sampler": "tpe". */
const tpeOptionFields = {
  startupTrials: positiveInt.optional().describe('Finished trials drawn at random before TPE models the results (default 10, as Optuna); at most strategy.trials'),
  multivariate: z
    .boolean(expected('true or false'))
    .optional()
    .describe('true (default; Optuna 5 uses it for one objective, false for several): one joint model over all parameters; false: one model per parameter'),
};

const strategySchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('grid') }).describe("Every combination of the space's choices"),
    z
      .strictObject({
        type: z.literal('random'),
        trials: trialsSchema,
        seed: seedSchema.optional().describe('Seed of the draws (default training.seed)'),
      })
      .describe('Random search'),
    z
      .strictObject({
        type: z.literal('asha'),
        trials: trialsSchema,
        minEpochs: positiveInt.describe('Epochs of the first rung'),
        maxEpochs: positiveInt.describe('Epochs of the last rung (a fully promoted trial)'),
        reductionFactor: z.int(expected('an integer >= 2')).min(2, expected('an integer >= 2')).default(3).describe('eta: the top 1/eta of a rung is promoted; rungs at minEpochs * eta^k'),
        seed: seedSchema.optional().describe('Seed of the draws (default training.seed)'),
        sampler: oneOf(['random', 'tpe']).default('random').describe('How new rung-0 trials are drawn: random, or TPE fitted to the results so far (BOHB-like)'),
        ...tpeOptionFields,
      })
      .describe('Asynchronous successive halving (Li et al. 2018)'),
    z
      .strictObject({
        type: z.literal('tpe'),
        trials: trialsSchema,
        ...tpeOptionFields,
        seed: seedSchema.optional().describe('Seed of the sampler (default training.seed)'),
      })
      .describe("Tree-structured Parzen Estimator (as Optuna's TPESampler): each trial's params are chosen from the results so far"),
  ],
  { error: 'expected {"type": "grid" | "random" | "asha" | "tpe", ...}' },
);

const earlyStoppingSchema = z.strictObject({
  patience: positiveInt.describe('Epochs without improvement before a trial stops'),
  metric: oneOf(['val_loss', 'val_auc']).default('val_loss').describe('Metric watched (default val_loss, as DanQ)'),
  minDelta: z.number(expected('a number >= 0')).nonnegative(expected('a number >= 0')).optional().describe('Smallest change that counts as an improvement'),
});

const trainingSchema = z.strictObject({
  epochs: positiveInt.optional().describe('Epochs per trial; required for grid and random, for asha it defaults to (and must equal) strategy.maxEpochs'),
  batchSize: variantFieldSchemas.batchSize.optional().describe('Samples per batch; required unless searched in space.batchSize'),
  seed: seedSchema.describe('Seed of every trial: initialisation, shuffling and dropout'),
  earlyStopping: earlyStoppingSchema.optional(),
  backend: oneOf(backendChoices).default('auto').describe('Training backend (auto: the fastest present)'),
  compile: z.boolean(expected('true or false')).default(true).describe('On the native backends, run each training step as one compiled TensorFlow function (default true); false runs it op by op'),
  xla: z
    .boolean(expected('true or false'))
    .default(false)
    .describe(
      "With the compiled step, let TensorFlow's XLA compiler fuse its convolution, dense, loss and optimizer parts: a faster step after seconds of compiling per trial, for long trials (default false)",
    ),
});

export type { ObjectiveMetric } from '../strategy/objective.js';

const objectiveSchema = z
  .strictObject({
    metric: oneOf(['val_auc', 'val_pr_auc', 'val_loss']).default('val_auc').describe('Validation metric the strategy optimises'),
    mode: oneOf(['max', 'min']).optional().describe('max for val_auc and val_pr_auc, min for val_loss (the default follows the metric)'),
  })
  // Left unset rather than defaulted, so that setting it next to "objectives" can be told apart from the default.
  .optional()
  .meta({ default: { metric: 'val_auc' } });

const metricsDescription = 'val_auc, val_pr_auc, val_loss (at the best epoch), params, inference_ms_per_1k (forward-pass ms per 1,000 validation sequences) or train_seconds';

const objectivesSchema = z
  .array(
    z.strictObject({
      metric: oneOf(TRIAL_METRICS).describe(metricsDescription),
      mode: oneOf(['max', 'min']).optional().describe('min for params, inference_ms_per_1k, train_seconds and val_loss; max for the AUCs (the default follows the metric)'),
    }),
    expected('an array of {"metric": ..., "mode": ...}'),
  )
  .min(2, { error: 'expected at least 2 objectives (use "objective" for one)' })
  .describe('Several objectives: the sweep searches their Pareto front; the first breaks ties and picks the best model');

const finite = (what: string) => z.number(expected(what)).refine(Number.isFinite, expected(what));
const constraintsSchema = z
  .array(
    z.strictObject({
      metric: oneOf(TRIAL_METRICS).describe(metricsDescription),
      min: finite('a number').optional().describe('Feasible when the metric is >= min'),
      max: finite('a number').optional().describe('Feasible when the metric is <= max'),
    }),
    expected('an array of {"metric": ..., "min": ..., "max": ...}'),
  )
  .describe('Trials outside these bounds are infeasible: they rank below every feasible trial, and TPE steers away from them');

const warmStartSchema = z
  .strictObject({
    sweeps: z.array(z.string(expected('a sweep id')).min(1, expected('a sweep id')), expected('an array of sweep ids')).min(1, { error: 'expected at least one sweep id' }),
  })
  .describe('Earlier sweeps on the same dataset and space whose finished trials the sampler starts from; their configurations are not run again');

const enqueueSchema = z
  .array(z.record(z.string(), choiceSchema), expected('an array of {"<space key>": value, ...}'))
  .describe('Configurations run first, in order, before the strategy picks its own (every space key, each within its range or choices)');

const specFields = {
  $schema: z.string().optional().describe('JSON Schema of this file, for editors'),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, {
      error: (issue) => `expected 1 to 64 letters, digits, '-' or '_', starting with a letter or digit, got ${formatValue(issue.input)}`,
    })
    .describe('Sweep name, used in workflow ids'),
  dataset: datasetSpecSchema,
  model: modelSpecSchema.default({}).describe('Fixed variant fields on top of a preset (default danq-lite)'),
  space: z
    .record(z.string(), spaceValueSchema)
    .default({})
    // Unknown keys are reported by crossFieldProblems (with a hint); the JSON Schema lists the valid ones for editors.
    .meta({ description: 'Searched variant fields', propertyNames: { enum: searchableFields } }),
  strategy: strategySchema,
  training: trainingSchema,
  objective: objectiveSchema,
  objectives: objectivesSchema.optional(),
  constraints: constraintsSchema.optional(),
  warmStart: warmStartSchema.optional(),
  enqueue: enqueueSchema.optional(),
  maxConcurrentTrials: positiveInt.default(2).describe('Trials that train at the same time'),
};

export const sweepSpecSchema = z
  .strictObject(specFields)
  .describe('danq-sweep sweep spec: a hyperparameter sweep of DanQ-style DNA classifiers')
  // Cross-field rules run even when some field failed, so every problem is reported at once.
  .superRefine((spec, ctx) => crossFieldProblems(spec as unknown, ctx), { when: () => true })
  .transform(({ training, objective, objectives, ...spec }) => ({
    ...spec,
    // crossFieldProblems requires training.epochs for grid and random; asha's is its maxEpochs.
    training: { ...training, epochs: spec.strategy.type === 'asha' ? spec.strategy.maxEpochs : training.epochs! },
    objective: { metric: objective?.metric ?? 'val_auc', mode: objective?.mode ?? OBJECTIVE_MODES[objective?.metric ?? 'val_auc'] },
    ...(objectives && { objectives: objectives.map((o) => ({ metric: o.metric, mode: o.mode ?? TRIAL_METRIC_MODES[o.metric] })) }),
  }));

/** Field names of the spec's objects, for 'did you mean' hints on unknown keys. */
export const knownFields: Record<string, readonly string[]> = {
  '': Object.keys(specFields),
  model: Object.keys(modelSpecSchema.shape),
  training: Object.keys(trainingSchema.shape),
};

/** A valid spec with defaults filled in: training.epochs, objective.mode and each objectives[i].mode are always set. */
export type SweepSpec = z.output<typeof sweepSpecSchema>;
export type SweepSpecInput = z.input<typeof sweepSpecSchema>;

// ---- cross-field rules -------------------------------------------------------------------------------

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The JSON Schema type of each variant field ('integer', 'number', 'string', 'boolean'). */
const fieldJsonTypes = Object.fromEntries(variantFields.map((field) => [field, (z.toJSONSchema(variantFieldSchemas[field]) as { type?: string }).type])) as Record<
  keyof VariantConfig,
  string | undefined
>;

function crossFieldProblems(spec: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(spec)) return;
  const model = isRecord(spec.model) ? spec.model : {};
  const space = isRecord(spec.space) ? spec.space : {};
  const training = isRecord(spec.training) ? spec.training : undefined;
  const strategy = isRecord(spec.strategy) ? spec.strategy : undefined;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });

  for (const field of TRAINING_FIELDS) {
    if (Object.hasOwn(model, field)) issue(['model', field], `set training.${field} instead`);
  }

  for (const [key, value] of Object.entries(space)) {
    if (!isVariantField(key)) {
      issue(['space', key], `unknown variant field${suggestion(key, variantFields)}`);
      continue;
    }
    if (!(searchableFields as readonly string[]).includes(key)) {
      issue(['space', key], `${key} is not searchable: set training.${key}`);
      continue;
    }
    if (Object.hasOwn(model, key)) issue(['space', key], `${key} is also fixed in model.${key}: set it in one place`);
    if (key === 'batchSize' && training?.batchSize !== undefined) {
      issue(['space', key], 'batchSize is also fixed in training.batchSize: set it in one place');
    }
    spaceValueProblems(key, value, strategy?.type, issue);
  }

  if (strategy?.type === 'grid') {
    const combinations = Object.values(space).reduce<number>((n, value) => n * (Array.isArray(value) ? value.length : 1), 1);
    if (combinations > MAX_TRIALS) issue(['space'], `the grid has ${combinations} combinations, more than the ${MAX_TRIALS} a sweep may plan`);
  }
  if (training !== undefined && training.batchSize === undefined && !Object.hasOwn(space, 'batchSize')) {
    issue(['training', 'batchSize'], 'required (or search it in space.batchSize)');
  }
  if (training !== undefined && strategy !== undefined) {
    if (strategy.type === 'asha') {
      if (training.epochs !== undefined && training.epochs !== strategy.maxEpochs) {
        issue(['training', 'epochs'], `must equal strategy.maxEpochs ${formatValue(strategy.maxEpochs)} for asha, or be left out`);
      }
    } else if (training.epochs === undefined) {
      issue(['training', 'epochs'], 'required');
    }
  }
  if (strategy?.type === 'tpe' || strategy?.type === 'asha') tpeOptionProblems(strategy, issue);
  if (strategy?.type === 'asha' && typeof strategy.minEpochs === 'number' && typeof strategy.maxEpochs === 'number' && strategy.minEpochs > strategy.maxEpochs) {
    issue(['strategy', 'minEpochs'], `expected minEpochs <= maxEpochs, got ${strategy.minEpochs} > ${strategy.maxEpochs}`);
  }

  const objective = isRecord(spec.objective) ? spec.objective : undefined;
  const metric = objective?.metric ?? 'val_auc';
  if (objective?.mode !== undefined && typeof metric === 'string' && Object.hasOwn(OBJECTIVE_MODES, metric)) {
    modeProblem(['objective'], metric as ObjectiveMetric, objective.mode, issue);
  }
  objectivesProblems(spec, issue);
  constraintsProblems(spec.constraints, strategy?.type, issue);
  enqueueProblems(spec.enqueue, space, strategy?.type, issue);
  if (spec.warmStart !== undefined && strategy !== undefined && strategy.type !== 'tpe') {
    issue(['warmStart'], 'only with strategy tpe: earlier trials are observations for its model, which grid, random and asha do not have');
  }
}

type Issue = (path: (string | number)[], message: string) => void;

function modeProblem(at: (string | number)[], metric: TrialMetric, mode: unknown, issue: Issue): void {
  const expectedMode = TRIAL_METRIC_MODES[metric];
  if (mode !== expectedMode) issue([...at, 'mode'], `${metric} is ${expectedMode === 'max' ? 'maximised' : 'minimised'}: expected "${expectedMode}" (or leave mode out)`);
}

const isTrialMetric = (metric: unknown): metric is TrialMetric => typeof metric === 'string' && Object.hasOwn(TRIAL_METRIC_MODES, metric);

/** Several objectives: each metric once, not with "objective", and not with asha, whose rungs promote by one objective. */
function objectivesProblems(spec: Record<string, unknown>, issue: Issue): void {
  if (!Array.isArray(spec.objectives)) return;
  if (spec.objective !== undefined) issue(['objectives'], 'set "objective" or "objectives", not both');
  const strategy = isRecord(spec.strategy) ? spec.strategy : undefined;
  if (strategy?.type === 'asha') issue(['objectives'], 'asha promotes the best of each rung by one objective: use "objective" with asha, or strategy tpe or random for several objectives');
  const firstIndex = new Map<string, number>();
  spec.objectives.forEach((entry, i) => {
    if (!isRecord(entry) || !isTrialMetric(entry.metric)) return;
    const earlier = firstIndex.get(entry.metric);
    if (earlier !== undefined) issue(['objectives', i, 'metric'], `${entry.metric} is listed twice (also objectives[${earlier}])`);
    else firstIndex.set(entry.metric, i);
    if (entry.mode !== undefined) modeProblem(['objectives', i], entry.metric, entry.mode, issue);
  });
}

function constraintsProblems(constraints: unknown, strategyType: unknown, issue: Issue): void {
  if (!Array.isArray(constraints)) return;
  if (strategyType === 'asha') issue(['constraints'], 'asha promotes by the objective alone: use strategy tpe, random or grid with constraints');
  constraints.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    const { min, max } = entry;
    if (min === undefined && max === undefined) issue(['constraints', i], 'expected "min", "max" or both');
    if (typeof min === 'number' && typeof max === 'number' && min > max) issue(['constraints', i], `expected min <= max, got ${min} > ${max}`);
  });
}

/** Every enqueued configuration sets each space key, inside its choices or range, and nothing else. */
function enqueueProblems(enqueue: unknown, space: Record<string, unknown>, strategyType: unknown, issue: Issue): void {
  if (!Array.isArray(enqueue)) return;
  if (strategyType !== 'random' && strategyType !== 'tpe') {
    issue(['enqueue'], `only with strategy random or tpe (${strategyType === 'grid' ? 'grid runs every combination anyway' : 'asha starts trials by its rungs'})`);
    return;
  }
  enqueue.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    for (const key of Object.keys(entry)) {
      if (!Object.hasOwn(space, key)) issue(['enqueue', i, key], `not a space key${suggestion(key, Object.keys(space))}: enqueue sets the searched fields only`);
    }
    for (const [key, searched] of Object.entries(space)) {
      const value = entry[key];
      if (value === undefined) issue(['enqueue', i], `missing ${key}: set every space key`);
      else if (!inSpace(searched, value)) issue(['enqueue', i, key], `${formatValue(value)} is outside space.${key} ${formatValue(searched)}`);
    }
  });
}

function inSpace(searched: unknown, value: unknown): boolean {
  if (Array.isArray(searched)) return searched.includes(value);
  const parsed = spaceValueSchema.safeParse(searched);
  if (!parsed.success || Array.isArray(parsed.data) || typeof value !== 'number') return false;
  const range = rangeOf(parsed.data);
  return value >= range.low && value <= range.high && (range.kind !== 'int' || Number.isInteger(value));
}

/** startupTrials within trials; TPE's options only where TPE samples. */
function tpeOptionProblems(strategy: Record<string, unknown>, issue: (path: (string | number)[], message: string) => void): void {
  const usesTpe = strategy.type === 'tpe' || strategy.sampler === 'tpe';
  for (const option of Object.keys(tpeOptionFields)) {
    if (!usesTpe && strategy[option] !== undefined) issue(['strategy', option], `only with "sampler": "tpe" (or "type": "tpe")`);
  }
  const { startupTrials, trials } = strategy;
  if (usesTpe && typeof startupTrials === 'number' && typeof trials === 'number' && Number.isInteger(startupTrials) && startupTrials > trials) {
    issue(['strategy', 'startupTrials'], `must be a positive integer <= strategy.trials (${trials}), got ${startupTrials}`);
  }
}

/** Checks one space entry against its variant field; its own shape is the schema's job. */
function spaceValueProblems(key: keyof VariantConfig, value: unknown, strategyType: unknown, issue: (path: (string | number)[], message: string) => void): void {
  const field = variantFieldSchemas[key];
  if (Array.isArray(value)) {
    value.forEach((choice, i) => {
      if (!choiceSchema.safeParse(choice).success) return; // the schema reports it
      const result = field.safeParse(choice);
      if (!result.success) issue(['space', key, i], `${key} ${result.error.issues[0]!.message}`);
    });
    return;
  }
  const parsed = spaceValueSchema.safeParse(value);
  if (!parsed.success || Array.isArray(parsed.data)) return;
  if (strategyType === 'grid') {
    issue(['space', key], `grid search needs an array of choices; ranges need strategy random, asha or tpe`);
  }
  const range = rangeOf(parsed.data);
  const type = fieldJsonTypes[key];
  if (type !== 'number' && type !== 'integer') {
    issue(['space', key], `${key} is not numeric: use an array of choices`);
  } else if (type === 'integer' && range.kind !== 'int') {
    issue(['space', key], `${key} takes integers: use {"int": [low, high]} or an array of choices`);
  } else {
    [range.low, range.high].forEach((bound, i) => {
      const result = field.safeParse(bound);
      if (!result.success) issue(['space', key, range.kind, i], `${key} ${result.error.issues[0]!.message}`);
    });
  }
}

/** ' (did you mean X?)' for a near miss: the same ignoring case, or a typo (up to 2 edits, fewer in short names). */
export function suggestion(key: string, candidates: readonly string[]): string {
  const maxDistance = Math.min(2, Math.floor(key.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= maxDistance && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best === undefined ? '' : ` (did you mean ${best.candidate}?)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
