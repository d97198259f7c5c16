/** A small exported model trained in-process on synthetic data with planted JASPAR motifs, for predict and motifs tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { syntheticSplit } from '../support/synthetic-split.js';
import { resolveSynthOptions, writeSyntheticTsv, type SynthOptions } from '../../src/data/index.js';
import { exportModel } from '../../src/train/export.js';
import { trainModel } from '../../src/train/train.js';
import type { VariantConfig } from '../../src/model/config.js';
import { tinyVariant } from './train-helpers.js';

export interface TrainedModel {
  dir: string;
  /** The validation data as a TSV (id, sequence, one column per motif). */
  validTsv: string;
  variant: VariantConfig;
  bestValAuc: number;
  synth: (samples: number, seed: number) => SynthOptions;
}

export async function trainAndExport(motifs: number[], options: { variant?: Partial<VariantConfig>; train?: number; valid?: number } = {}): Promise<TrainedModel> {
  const variant = tinyVariant({ tasks: motifs.length, ...options.variant });
  const synth = (samples: number, seed: number) => resolveSynthOptions({ motifs, samples, seqLen: variant.seqLen, seed });
  const work = mkdtempSync(path.join(tmpdir(), 'predict-model-'));
  const taskNames = motifs.map((m) => `motif${m}`);
  const trainCount = options.train ?? 600;
  const validCount = options.valid ?? 200;
  const dataset = { fingerprint: 'test', seqLen: variant.seqLen, taskNames, splits: { train: { path: '', count: trainCount }, valid: { path: '', count: validCount } } };
  const checkpointDir = path.join(work, 'checkpoint');
  const result = await trainModel(
    { variant, dataset, backend: 'wasm', untilEpoch: variant.epochs, checkpointDir },
    { train: syntheticSplit(synth(trainCount, 1)), valid: syntheticSplit(synth(validCount, 2)) },
  );
  const dir = path.join(work, 'model');
  await exportModel(checkpointDir, variant, dir, undefined, { taskNames, reverseComplement: false, lengthPolicy: 'error', fingerprint: 'test' });
  const validTsv = path.join(work, 'valid.tsv');
  writeSyntheticTsv(validTsv, synth(validCount, 2));
  return { dir, validTsv, variant, bestValAuc: result.bestValAuc, synth };
}
