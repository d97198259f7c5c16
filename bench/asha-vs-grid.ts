/**
 * Search efficiency: ASHA against grid on the same space, same synthetic data, through the real
 * CLI on the embedded stack (or TEMPORAL_ADDRESS + DATABASE_URL with workers running).
 * Prints total epochs trained, best validation ROC AUC and wall time for each.
 *   npm run bench:asha
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SweepReport } from '../src/cli/report.js';
import { table } from '../src/cli/report.js';

const sweepBin = fileURLToPath(new URL('../bin/sweep.js', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'asha-vs-grid-'));
const epochs = 6;
const space = { convFilters: [32, 64], rnn: ['lstm', 'gru'], learningRate: [0.001, 0.003, 0.01] };
const base = {
  dataset: { format: 'synthetic', samples: 4000, seed: 1 },
  model: { preset: 'danq-lite', seqLen: 200, tasks: 1 },
  space,
  training: { epochs, batchSize: 64, seed: 1 },
  maxConcurrentTrials: 2,
};
const strategies = {
  grid: { type: 'grid' },
  asha: { type: 'asha', trials: 12, minEpochs: 1, maxEpochs: epochs, reductionFactor: 3, seed: 1 },
};

const rows: string[][] = [];
for (const [name, strategy] of Object.entries(strategies)) {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ ...base, name: `bench-${name}`, strategy }));
  const started = Date.now();
  const report = JSON.parse(execFileSync(process.execPath, [sweepBin, 'start', file, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as SweepReport;
  const seconds = (Date.now() - started) / 1000;
  const totalEpochs = report.trials.reduce((n, t) => n + t.epochs, 0);
  rows.push([name, String(report.trials.length), String(totalEpochs), report.best ? report.best.valAuc.toFixed(4) : '-', seconds.toFixed(0)]);
}
console.log(table(['strategy', 'trials', 'epochs trained', 'best val AUC', 'wall s'], rows));
