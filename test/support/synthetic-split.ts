import { memorySplit } from '../../src/data/split.js';
import { recordSize } from '../../src/data/store.js';
import { synthesizeCodes, type SynthOptions } from '../../src/data/synth.js';
import type { EncodedSplit } from '../../src/data/types.js';

/** The dataset writeSyntheticTsv writes, as an in-memory split: tests train on it without files or a cache. */
export function syntheticSplit(opts: SynthOptions): EncodedSplit {
  const { seqLen } = opts;
  const numTasks = opts.motifs.length;
  const size = recordSize(seqLen, numTasks);
  const records = new Uint8Array(opts.samples * size);
  let at = 0;
  for (const r of synthesizeCodes(opts)) {
    records.set(r.codes, at);
    records.set(r.labels, at + seqLen);
    at += size;
  }
  return memorySplit(records, seqLen, numTasks);
}
