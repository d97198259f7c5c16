import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes a one-trial sweep spec of `epochs` short epochs into `dir` and returns its path: long
 * enough to kill its worker mid-trial and check that the retry resumes from the checkpoint.
 */
export function writeResumeSpec(dir: string, name: string, epochs: number): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      dataset: { format: 'synthetic', samples: 3000, validFraction: 0.3, seed: 3 },
      model: { preset: 'danq-lite', seqLen: 60, convFilters: 8, convKernel: 9, poolSize: 4, rnnUnits: 8, denseUnits: 8 },
      space: { learningRate: [0.005] },
      strategy: { type: 'grid' },
      training: { epochs, batchSize: 32, seed: 1 },
      maxConcurrentTrials: 1,
    }),
  );
  return file;
}
