/**
 * TPE against random search on real training: the same space and budget, synthetic JASPAR data,
 * through the real CLI on the embedded stack (set SWEEP_TEMPORAL_PORT / SWEEP_UI_PORT /
 * SWEEP_PG_PORT to use other ports), 3 seeds. Prints the best validation ROC AUC of each sweep and
 * the trial that reached it.
 *   npm run bench:search-real
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SweepReport } from '../src/cli/report.js';
import { table } from '../src/cli/report.js';

const sweepBin = fileURLToPath(new URL('../bin/sweep.js', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'search-real-'));
const trials = Number(process.env.BENCH_TRIALS ?? 12);
const seeds = [1, 2, 3];
const base = {
  dataset: { format: 'synthetic', samples: 2000, seed: 1 },
  model: { preset: 'danq-lite', seqLen: 200, tasks: 1 },
  // A learning rate interacting with the cell and the filters, and a dropout, at 3 epochs: some regions train badly.
  space: { rnn: ['lstm', 'gru'], learningRate: { logUniform: [1e-5, 0.1] }, convFilters: [16, 32, 64], convDropout: { uniform: [0, 0.6] } },
  training: { epochs: 3, batchSize: 64, seed: 1 },
  maxConcurrentTrials: 2,
};
const strategies = {
  random: (seed: number) => ({ type: 'random', trials, seed }),
  tpe: (seed: number) => ({ type: 'tpe', trials, startupTrials: 4, seed }),
};

const rows: string[][] = [];
for (const seed of seeds) {
  for (const [name, strategy] of Object.entries(strategies)) {
    const file = path.join(dir, `${name}-${seed}.json`);
    writeFileSync(file, JSON.stringify({ ...base, name: `bench-${name}-${seed}`, strategy: strategy(seed) }));
    const started = Date.now();
    const report = JSON.parse(execFileSync(process.execPath, [sweepBin, 'start', file, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as SweepReport;
    const seconds = (Date.now() - started) / 1000;
    const bestTrial = report.best ? Number(/-trial-(\d+)$/.exec(report.best.trialId)![1]) : NaN;
    const failed = report.trials.filter((t) => t.status === 'failed').length;
    rows.push([String(seed), name, String(report.trials.length), String(failed), report.best ? report.best.valAuc.toFixed(4) : '-', String(bestTrial), seconds.toFixed(0)]);
    console.error(rows.at(-1)!.join(' '));
  }
}
console.log(table(['seed', 'strategy', 'trials', 'failed', 'best val AUC', 'reached at trial', 'wall s'], rows));
