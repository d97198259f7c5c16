/**
 * Named starting points for a variant, and how overrides resolve against them.
 * Pure: imported by workflows and the spec validator.
 */
import { presetNames, type PresetName, type VariantConfig } from './config.js';
import { UserError } from '../errors.js';

/** A preset fixes everything except poolStride, which follows the resolved poolSize unless set. */
type Preset = Omit<VariantConfig, 'poolStride'>;

export const DEFAULT_PRESET: PresetName = 'danq-lite';

export const presets: Record<PresetName, Preset> = {
  /**
   * DanQ as published (Quang & Xie 2016, DanQ_train.py): 1000 x 4 one-hot input; Conv1D 320 x 26
   * ReLU; MaxPooling1D 13/13; Dropout 0.2; BiLSTM 320 per direction, return sequences; Dropout 0.5;
   * Flatten; Dense 925 ReLU; Dense 919 sigmoid; RMSprop at Keras' default lr 0.001; batch 100;
   * up to 60 epochs. 46,926,479 parameters.
   */
  danq: {
    seqLen: 1000,
    tasks: 919,
    convFilters: 320,
    convKernel: 26,
    convStride: 1,
    poolSize: 13,
    convDropout: 0.2,
    rnn: 'lstm',
    rnnUnits: 320,
    rnnMerge: 'concat',
    returnSequences: true,
    rnnDropout: 0.5,
    denseUnits: 925,
    outputActivation: 'sigmoid',
    learningRate: 0.001,
    optimizer: 'rmsprop',
    batchSize: 100,
    epochs: 60,
    seed: 1,
  },
  /** The same architecture, small enough to train on one CPU core: 103,617 parameters. */
  'danq-lite': {
    seqLen: 200,
    tasks: 1,
    convFilters: 64,
    convKernel: 19,
    convStride: 1,
    poolSize: 10,
    convDropout: 0.2,
    rnn: 'lstm',
    rnnUnits: 32,
    rnnMerge: 'concat',
    returnSequences: true,
    rnnDropout: 0.5,
    denseUnits: 64,
    outputActivation: 'sigmoid',
    learningRate: 0.001,
    optimizer: 'adam',
    batchSize: 64,
    epochs: 10,
    seed: 1,
  },
};

export function isPresetName(name: string): name is PresetName {
  return (presetNames as readonly string[]).includes(name);
}

/** Looks a preset up by a user-given name; the error names the parameter and the choices. */
export function presetByName(param: string, name: string): PresetName {
  if (!isPresetName(name)) {
    throw new UserError(`${param}: unknown preset '${name}', expected one of ${presetNames.join(', ')}`);
  }
  return name;
}

/**
 * The full variant: the preset (danq-lite when none) with the overrides on top; undefined
 * overrides are ignored. poolStride defaults to the resolved poolSize. Values are not checked
 * here: inspectVariant (shapes.ts) reports every problem.
 */
export function resolveVariant(preset: PresetName | undefined, overrides: Partial<VariantConfig>): VariantConfig {
  const given = Object.fromEntries(Object.entries(overrides as Record<string, unknown>).filter(([, value]) => value !== undefined));
  const merged: Preset & Partial<VariantConfig> = { ...presets[preset ?? DEFAULT_PRESET], ...given };
  return { ...merged, poolStride: merged.poolStride ?? merged.poolSize };
}
