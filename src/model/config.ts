/**
 * The variant config: every model and training hyperparameter of one trial, flat, so a sweep's
 * `model` (fixed values) and `space` (searched values) address the same keys.
 * Pure types, constants and zod schemas: imported by workflows, so no tfjs and no Node modules here.
 */
import { z } from 'zod';

export interface VariantConfig {
  seqLen: number;
  tasks: number;
  convFilters: number;
  convKernel: number;
  convStride: number;
  poolSize: number;
  poolStride: number;
  convDropout: number;
  rnn: 'lstm' | 'gru';
  /** Units per direction. */
  rnnUnits: number;
  /** How the Bidirectional wrapper joins the two directions (Keras merge modes); concat doubles the features. */
  rnnMerge: 'concat' | 'sum' | 'mul' | 'ave';
  /** true = DanQ (flatten + dense over every step); false = last step only. */
  returnSequences: boolean;
  rnnDropout: number;
  /** 0 = no hidden dense layer. */
  denseUnits: number;
  outputActivation: 'sigmoid' | 'softmax';
  learningRate: number;
  optimizer: 'adam' | 'rmsprop';
  batchSize: number;
  epochs: number;
  seed: number;
}

export const presetNames = ['danq', 'danq-lite'] as const;
export type PresetName = (typeof presetNames)[number];

/** Shows a rejected value as the user wrote it (NaN and Infinity included, which JSON would turn into null). */
export function formatValue(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
}

/** One message for every way a value can fail its field schema: `must be <expected>, got <value>`. */
function expected(what: string) {
  return { error: (issue: { input?: unknown }) => `must be ${what}, got ${formatValue(issue.input)}` };
}

function positiveInt(description: string) {
  const e = expected('a positive integer');
  return z.int(e).positive(e).describe(description);
}

function dropoutRate(description: string) {
  const e = expected('a number in [0, 1)');
  return z.number(e).min(0, e).lt(1, e).describe(description);
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, description: string) {
  return z.enum(values, expected(values.map((v) => `'${v}'`).join(' or '))).describe(description);
}

/**
 * Per-field type and range checks, the one place they are defined. Cross-field (shape) checks live
 * in shapes.ts. The spec validator checks each `space` choice with the same field schema.
 */
export const variantFieldSchemas: { [K in keyof VariantConfig]-?: z.ZodType<VariantConfig[K]> } = {
  seqLen: positiveInt('Input sequence length in bp (one-hot, 4 channels)'),
  tasks: positiveInt('Number of outputs: labels (sigmoid) or classes (softmax)'),
  convFilters: positiveInt('Conv1D filters (motif scanners)'),
  convKernel: positiveInt('Conv1D kernel width in bp'),
  convStride: positiveInt('Conv1D stride'),
  poolSize: positiveInt('MaxPooling1D window'),
  poolStride: positiveInt('MaxPooling1D stride (default: poolSize)'),
  convDropout: dropoutRate('Dropout rate after pooling'),
  rnn: oneOf(['lstm', 'gru'], 'Recurrent cell of the bidirectional layer'),
  rnnUnits: positiveInt('RNN units per direction'),
  rnnMerge: oneOf(['concat', 'sum', 'mul', 'ave'], 'Bidirectional merge mode; concat doubles the feature axis'),
  returnSequences: z
    .boolean(expected('true or false'))
    .describe('true: keep every RNN step, then flatten + dense (DanQ); false: keep only the last step'),
  rnnDropout: dropoutRate('Dropout rate after the RNN'),
  denseUnits: z
    .int(expected('a non-negative integer'))
    .nonnegative(expected('a non-negative integer'))
    .describe('Hidden dense ReLU units before the output layer; 0 = none'),
  outputActivation: oneOf(['sigmoid', 'softmax'], 'sigmoid: independent labels; softmax: one class of tasks (needs tasks >= 2)'),
  learningRate: z
    .number(expected('a positive number'))
    .positive(expected('a positive number'))
    .describe('Optimizer learning rate'),
  optimizer: oneOf(['adam', 'rmsprop'], 'Optimizer'),
  batchSize: positiveInt('Samples per training batch'),
  epochs: positiveInt('Maximum training epochs'),
  seed: z
    .int(expected('a non-negative integer'))
    .nonnegative(expected('a non-negative integer'))
    .describe('Seed for initialisation, shuffling and dropout'),
};

/** A partial variant (fixed values in a spec, or overrides); unknown keys are rejected to catch typos. */
export const partialVariantSchema = z
  .strictObject(variantFieldSchemas, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}; variant fields are ${Object.keys(variantFieldSchemas).join(', ')}`
        : undefined,
  })
  .partial();

export const presetNameSchema = z
  .enum(presetNames, expected(presetNames.map((p) => `'${p}'`).join(' or ')))
  .describe('Preset the fixed values start from (default danq-lite)');

/** A sweep spec's `model` object: an optional preset plus fixed variant fields. */
export const modelSpecSchema = partialVariantSchema.extend({ preset: presetNameSchema.optional() });
export type ModelSpec = z.infer<typeof modelSpecSchema>;
