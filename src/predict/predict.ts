/**
 * Predictions of an exported model over a sequence file of any size: records stream in, are
 * batched, and go through the same network and the same `predict` (strand averaging
 * included) as training's validation, so the probabilities, and any AUC computed from them,
 * equal the sweep's own.
 */
import { memorySplit } from '../data/split.js';
import { recordSize } from '../data/store.js';
import type { Network } from '../train/fast/network.js';
import { inferenceNetwork } from '../train/networks.js';
import { type ForwardBatch, inferenceForward, predict } from '../train/train.js';
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
 * Base-code windows in, probabilities out: windows are filled in place, then scored together
 * `batch` at a time with the same `predict` as training's validation (strand averaging included):
 * on tfjs-node the native network, one compiled TensorFlow call per batch, elsewhere the fast
 * network. Predict, variant scoring and mutagenesis all score through it.
 */
export class WindowScorer {
  private readonly network: Network;
  private readonly forward: { forward: ForwardBatch; dispose(): void };
  private readonly size: number;
  private records: Uint8Array;
  private count = 0;

  constructor(
    readonly model: ModelInfo,
    weights: readonly Float32Array[],
    batch: number,
    private readonly rcAverage: boolean,
  ) {
    const variant = { ...model.variant, batchSize: batch };
    this.network = inferenceNetwork(variant, weights);
    this.forward = inferenceForward(this.network);
    this.size = recordSize(model.variant.seqLen, model.variant.tasks);
    // Label bytes stay 0: predict reads them, nothing uses them.
    this.records = new Uint8Array(batch * this.size);
  }

  /** Windows filled and not yet scored. */
  get pending(): number {
    return this.count;
  }

  /** The seqLen base codes of one more window, to fill before the next `score()`. */
  next(): Uint8Array {
    if ((this.count + 1) * this.size > this.records.length) {
      const grown = new Uint8Array(this.records.length * 2);
      grown.set(this.records);
      this.records = grown;
    }
    const at = this.count++ * this.size;
    return this.records.subarray(at, at + this.model.variant.seqLen);
  }

  /** Probabilities of the pending windows, window-major (pending x tasks); then none is pending. */
  score(): Float32Array {
    const v = this.model.variant;
    const { scores } = predict(this.network, memorySplit(this.records.subarray(0, this.count * this.size), v.seqLen, v.tasks), this.rcAverage, this.forward.forward);
    this.count = 0;
    return scores;
  }

  dispose(): void {
    this.forward.dispose();
    this.network.dispose();
  }
}

/**
 * Writes a TSV (`id`, then one column per task) of the model's probabilities for every record of
 * `input` to `write`; returns the number of records. The header goes out with the first batch.
 */
export async function predictFile(model: ModelInfo, weights: readonly Float32Array[], input: SequenceInput, write: (text: string) => void, opts: PredictOptions): Promise<number> {
  const tasks = model.variant.tasks;
  const scorer = new WindowScorer(model, weights, opts.batch, opts.rcAverage);
  const ids: string[] = [];
  let count = 0;
  let bytes = 0;
  const flush = () => {
    if (ids.length === 0) return;
    if (count === 0) write(['id', ...model.taskNames].join('\t') + '\n');
    const scores = scorer.score();
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      text += ids[i]!;
      for (let t = 0; t < tasks; t++) text += '\t' + formatFloat32(scores[i * tasks + t]!);
      text += '\n';
    }
    write(text);
    count += ids.length;
    ids.length = 0;
    opts.onProgress?.(bytes, count);
  };
  try {
    await readSequences(input, { seqLen: model.variant.seqLen, lengthPolicy: model.lengthPolicy, onBytes: (b) => (bytes = b) }, (id, codes) => {
      scorer.next().set(codes);
      ids.push(id);
      if (ids.length === opts.batch) flush();
    });
    flush();
  } finally {
    scorer.dispose();
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
