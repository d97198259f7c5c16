/**
 * The variant config: every model and training hyperparameter of one trial, flat, so a sweep's
 * `model` (fixed values) and `space` (searched values) address the same keys.
 * Pure types, constants and zod schemas: imported by workflows, so no tfjs and no Node modules here.
 */
import { z } from 'zod';
import { expected, nonNegativeInt, oneOf as oneOfField, positiveInt as positiveIntField } from '../field-schemas.js';

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

function positiveInt(description: string) {
  return positiveIntField().describe(description);
}

function dropoutRate(description: string) {
  const e = expected('a number in [0, 1)');
  return z.number(e).min(0, e).lt(1, e).describe(description);
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, description: string) {
  return oneOfField(values).describe(description);
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
  returnSequences: z.boolean(expected('true or false')).describe('true: keep every RNN step, then flatten + dense (DanQ); false: keep only the last step'),
  rnnDropout: dropoutRate('Dropout rate after the RNN'),
  denseUnits: nonNegativeInt().describe('Hidden dense ReLU units before the output layer; 0 = none'),
  outputActivation: oneOf(['sigmoid', 'softmax'], 'sigmoid: independent labels; softmax: one class of tasks (needs tasks >= 2)'),
  learningRate: z.number(expected('a positive number')).positive(expected('a positive number')).describe('Optimizer learning rate'),
  optimizer: oneOf(['adam', 'rmsprop'], 'Optimizer'),
  batchSize: positiveInt('Samples per training batch'),
  epochs: positiveInt('Maximum training epochs'),
  seed: nonNegativeInt().describe('Seed for initialisation, shuffling and dropout'),
};

/** A partial variant (fixed values in a spec, or overrides); unknown keys are rejected to catch typos. */
export const partialVariantSchema = z
  .strictObject(variantFieldSchemas, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}; variant fields are ${Object.keys(variantFieldSchemas).join(', ')}` : undefined,
  })
  .partial();

export const presetNameSchema = oneOfField(presetNames).describe('Preset the fixed values start from (default danq-lite)');

/** A sweep spec's `model` object: an optional preset plus fixed variant fields. */
export const modelSpecSchema = partialVariantSchema.extend({ preset: presetNameSchema.optional() });
export type ModelSpec = z.infer<typeof modelSpecSchema>;
