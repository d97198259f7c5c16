/** The sizes of one batch's conv + max-pool stage, which both training paths' kernels take (fast/kernels.ts, native/conv-pool.ts). */
export interface ConvPoolShape {
  batch: number;
  seqLen: number;
  convKernel: number;
  convStride: number;
  filters: number;
  /** Conv positions read by some pool window, per sample. */
  positions: number;
  steps: number;
  poolSize: number;
  poolStride: number;
}
