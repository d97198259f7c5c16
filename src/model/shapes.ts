/**
 * Static shape validation: every layer's output shape and parameter count of a variant, or every
 * problem that would make it fail, computed before any tensor exists.
 * Pure (no tfjs): workflows and the spec validator check whole sweeps with it.
 *
 * The architecture, in Keras' terms (tfjs-layers follows them):
 *   input (batch, seqLen, 4) one-hot DNA
 *   Conv1D ReLU, 'valid' padding     -> (batch, convLength, convFilters)
 *   MaxPooling1D, 'valid' padding    -> (batch, steps, convFilters)
 *   Dropout
 *   Bidirectional(LSTM | GRU)        -> (batch, steps, features) or, last step only, (batch, features)
 *   Dropout
 *   Flatten (returnSequences only)   -> (batch, steps * features)
 *   Dense ReLU (denseUnits > 0)      -> (batch, denseUnits)
 *   Dense sigmoid | softmax          -> (batch, tasks)
 */
import { variantFieldSchemas, type VariantConfig } from './config.js';

/** One-hot channels of a DNA base: A, C, G, T. */
export const DNA_CHANNELS = 4;

export interface LayerInfo {
  name: string;
  /** Keras class name, e.g. Conv1D, Bidirectional(LSTM). */
  type: string;
  /** null = the batch axis. */
  outputShape: (number | null)[];
  params: number;
}

export interface Problem {
  param: keyof VariantConfig;
  /** A sentence that names the parameter and its value, e.g. `poolSize 40 exceeds ...`. */
  message: string;
}

export type Inspection = { ok: true; layers: LayerInfo[]; params: number } | { ok: false; problems: Problem[] };

/** Keras 'valid' padding: only windows that fit entirely inside the input, every `stride` steps. */
export function validOutputLength(inputLength: number, window: number, stride: number): number {
  return Math.floor((inputLength - window) / stride) + 1;
}

/** Gates per RNN cell, each a block of the kernel, recurrent kernel and bias: LSTM i, f, c, o; GRU z, r, h (tfjs-layers order). */
export function rnnGates(rnn: VariantConfig['rnn']): number {
  return rnn === 'lstm' ? 4 : 3;
}

/** The lengths and widths that follow from a variant's fields; meaningful once inspectVariant passes it. */
export interface VariantSizes {
  /** Conv output length. */
  convLength: number;
  /** Pooled length = RNN timesteps. */
  steps: number;
  /** RNN output width per step, after the bidirectional merge. */
  rnnFeatures: number;
  /** Input width of the first dense layer: every step's features flattened with returnSequences, else the last step's. */
  denseInputs: number;
}

export function variantSizes(v: VariantConfig): VariantSizes {
  const convLength = validOutputLength(v.seqLen, v.convKernel, v.convStride);
  const steps = validOutputLength(convLength, v.poolSize, v.poolStride);
  // concat puts the two directions side by side (2 x units); sum, mul and ave combine them elementwise.
  const rnnFeatures = v.rnnMerge === 'concat' ? 2 * v.rnnUnits : v.rnnUnits;
  return { convLength, steps, rnnFeatures, denseInputs: v.returnSequences ? steps * rnnFeatures : rnnFeatures };
}

export function inspectVariant(v: VariantConfig): Inspection {
  const problems = [...fieldProblems(v), ...shapeProblems(v)];
  return problems.length > 0 ? { ok: false, problems } : { ok: true, ...layersOf(v) };
}

/** Type and range of each field, from the one schema per field in config.ts. */
function fieldProblems(v: VariantConfig): Problem[] {
  const problems: Problem[] = [];
  for (const param of Object.keys(variantFieldSchemas) as (keyof VariantConfig)[]) {
    const result = variantFieldSchemas[param].safeParse(v[param]);
    if (!result.success) problems.push({ param, message: `${param} ${result.error.issues[0]!.message}` });
  }
  return problems;
}

/** Checks between fields; each runs only when the fields it reads passed their own checks. */
function shapeProblems(v: VariantConfig): Problem[] {
  const problems: Problem[] = [];
  const valid = (...params: (keyof VariantConfig)[]) => params.every((param) => variantFieldSchemas[param].safeParse(v[param]).success);

  if (valid('seqLen', 'convKernel', 'convStride')) {
    if (v.convKernel > v.seqLen) {
      problems.push({
        param: 'convKernel',
        message: `convKernel ${v.convKernel} exceeds seqLen ${v.seqLen}: a 'valid' convolution needs at least one full window`,
      });
    } else if (valid('poolSize')) {
      const convLength = validOutputLength(v.seqLen, v.convKernel, v.convStride);
      // With 'valid' pooling this is also the only way to pool down to zero steps.
      if (v.poolSize > convLength) {
        const formula = v.convStride === 1 ? `seqLen ${v.seqLen} - convKernel ${v.convKernel} + 1` : `floor((seqLen ${v.seqLen} - convKernel ${v.convKernel}) / convStride ${v.convStride}) + 1`;
        problems.push({
          param: 'poolSize',
          message: `poolSize ${v.poolSize} exceeds the conv output length ${convLength} (${formula}): pooling would leave no steps for the RNN`,
        });
      }
    }
  }
  if (valid('outputActivation', 'tasks') && v.outputActivation === 'softmax' && v.tasks < 2) {
    problems.push({
      param: 'outputActivation',
      message: `outputActivation softmax needs tasks >= 2 (one output per class), got tasks ${v.tasks}: use sigmoid for a single binary task`,
    });
  }
  return problems;
}

/** Layer shapes and parameter counts of a variant that passed every check. */
function layersOf(v: VariantConfig): { layers: LayerInfo[]; params: number } {
  const layers: LayerInfo[] = [];
  const add = (name: string, type: string, outputShape: (number | null)[], params = 0) => layers.push({ name, type, outputShape, params });

  const { convLength, steps, rnnFeatures, denseInputs } = variantSizes(v);
  // Kernel (convKernel x 4 x convFilters) plus one bias per filter.
  add('conv1d', 'Conv1D', [null, convLength, v.convFilters], v.convKernel * DNA_CHANNELS * v.convFilters + v.convFilters);
  add('max_pooling1d', 'MaxPooling1D', [null, steps, v.convFilters]);
  add('conv_dropout', 'Dropout', [null, steps, v.convFilters]);

  // The shape lesson: the pooled (batch, steps, filters) already is the RNN's (batch, timesteps,
  // features), so it goes straight in: no Flatten or Reshape between pooling and the RNN.
  // Per direction and gate: input kernel, recurrent kernel, bias. LSTM has 4 gates; GRU 3, with one
  // bias each (Keras reset_after=false, the only GRU tfjs-layers implements).
  const perDirection = rnnGates(v.rnn) * (v.rnnUnits * (v.convFilters + v.rnnUnits) + v.rnnUnits);
  // returnSequences keeps one output per step; otherwise only the last step remains.
  const rnnShape = v.returnSequences ? [null, steps, rnnFeatures] : [null, rnnFeatures];
  add('bidirectional', `Bidirectional(${v.rnn.toUpperCase()})`, rnnShape, 2 * perDirection);
  add('rnn_dropout', 'Dropout', rnnShape);

  let features = denseInputs;
  if (v.returnSequences) add('flatten', 'Flatten', [null, denseInputs]);
  if (v.denseUnits > 0) {
    add('dense', 'Dense', [null, v.denseUnits], features * v.denseUnits + v.denseUnits);
    features = v.denseUnits;
  }
  add('output', 'Dense', [null, v.tasks], features * v.tasks + v.tasks);

  return { layers, params: layers.reduce((sum, layer) => sum + layer.params, 0) };
}
