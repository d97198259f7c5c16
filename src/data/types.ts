/**
 * The contract between the data layer and training. Data is encoded once (during the fingerprint
 * pass) into compact split files; training reads batches from them with bounded memory.
 * Manifests are plain JSON: they travel through Temporal activities and into training threads.
 */
export interface SplitFile {
  /** Absolute path of the encoded split (format private to src/data). */
  path: string;
  /** Number of sequences. */
  count: number;
}

export interface DatasetManifest {
  /** Content hash of the exact bytes used plus encoding options (hex). */
  fingerprint: string;
  seqLen: number;
  taskNames: string[];
  splits: { train: SplitFile; valid: SplitFile; test?: SplitFile };
  /**
   * The spec asked for reverse-complement augmentation: train on both strands (readBatch with
   * reverseComplement for a random half, or both) and average the two strands' predictions.
   */
  reverseComplement?: boolean;
}

export interface ReadBatchOptions {
  /** Encode each sequence as its reverse complement (augmentation / RC averaging). */
  reverseComplement?: boolean;
}

/** Random access to one encoded split. */
export interface EncodedSplit {
  readonly count: number;
  readonly seqLen: number;
  readonly numTasks: number;
  /**
   * Fills `x` (indices.length * seqLen * 4, row-major [sample][position][A,C,G,T], ambiguity
   * codes as 0.25 each; DeepSEA's all-zero N columns stay all zero, as DanQ saw them) and `y`
   * (indices.length * numTasks, 0/1) for the given sample indices.
   */
  readBatch(indices: ArrayLike<number>, x: Float32Array, y: Float32Array, options?: ReadBatchOptions): void;
  close(): void;
}
