/**
 * Predictions of an exported model over a sequence file of any size: records stream in, are
 * batched, and go through the same fast network and the same `predict` (strand averaging
 * included) as training's validation, so the probabilities, and any AUC computed from them,
 * equal the sweep's own.
 */
import { memorySplit } from '../data/split.js';
import { recordSize } from '../data/store.js';
import { Network } from '../train/network.js';
import { predict } from '../train/train.js';
import type { ModelInfo } from './model.js';
import { readSequences, type SequenceInput } from './sequences.js';

export interface PredictOptions {
  /** Sequences per forward pass; the variant's batchSize reproduces validation exactly. */
  batch: number;
  /** Average the forward and the reverse-complement strand's probabilities. */
  rcAverage: boolean;
  /** Bytes of the input read so far and records predicted so far. */
  onProgress?: (bytes: number, records: number) => void;
}

/**
 * Writes a TSV (`id`, then one column per task) of the model's probabilities for every record of
 * `input` to `write`; returns the number of records. The header goes out with the first batch.
 */
export async function predictFile(model: ModelInfo, weights: readonly Float32Array[], input: SequenceInput, write: (text: string) => void, opts: PredictOptions): Promise<number> {
  const v = { ...model.variant, batchSize: opts.batch };
  const network = new Network(v, weights);
  const size = recordSize(v.seqLen, v.tasks);
  // Label bytes stay 0: predict reads them, nothing uses them.
  const records = new Uint8Array(opts.batch * size);
  const ids: string[] = [];
  let count = 0;
  let bytes = 0;
  const flush = () => {
    if (ids.length === 0) return;
    if (count === 0) write(['id', ...model.taskNames].join('\t') + '\n');
    const { scores } = predict(network, memorySplit(records.subarray(0, ids.length * size), v.seqLen, v.tasks), opts.rcAverage);
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      text += ids[i]!;
      for (let t = 0; t < v.tasks; t++) text += '\t' + formatFloat32(scores[i * v.tasks + t]!);
      text += '\n';
    }
    write(text);
    count += ids.length;
    ids.length = 0;
    opts.onProgress?.(bytes, count);
  };
  try {
    await readSequences(input, { seqLen: v.seqLen, lengthPolicy: model.lengthPolicy, onBytes: (b) => (bytes = b) }, (id, codes) => {
      records.set(codes, ids.length * size);
      ids.push(id);
      if (ids.length === opts.batch) flush();
    });
    flush();
  } finally {
    network.dispose();
  }
  return count;
}

/** The shortest decimal that reads back as the same float32: exact for the scores, and short. */
export function formatFloat32(value: number): string {
  for (let digits = 6; digits < 9; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return trimNumber(text);
  }
  return trimNumber(value.toPrecision(9));
}

function trimNumber(text: string): string {
  if (text.includes('e')) return text.replace(/\.?0+e/, 'e');
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
