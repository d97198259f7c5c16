/**
 * Builds bench/danq-lite-table.json: one real DanQ-lite training per point of a finite grid (a real
 * grid sweep through the real CLI on the embedded stack, native backend), so the multi-objective
 * and warm-start benches can let samplers search that space by looking trials up instead of
 * training 20 seeds x 100 trials x 2 samplers. Each row: the grid point, its best-epoch validation
 * ROC AUC (null when the trial failed) and its parameter count.
 *   npm run bench:danq-lite-table
 * 144 trainings, 23 min on 2 shared cores; set SWEEP_TEMPORAL_PORT / SWEEP_UI_PORT / SWEEP_PG_PORT
 * to keep off another embedded stack's ports.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomically } from '../src/atomic-file.js';
import type { SweepReport } from '../src/cli/report.js';

export const TABLE_SPEC = {
  name: 'danq-lite-table',
  // Small data and 3 epochs: the tasks are learnable, but not by every size and learning rate.
  dataset: { format: 'synthetic', samples: 2000, tasks: 3, seed: 1 },
  model: { preset: 'danq-lite', seqLen: 200, tasks: 3 },
  space: { rnn: ['lstm', 'gru'], convFilters: [8, 16, 32, 64], rnnUnits: [8, 16, 32], denseUnits: [16, 64], learningRate: [0.001, 0.003, 0.01] },
  strategy: { type: 'grid' },
  training: { epochs: 3, batchSize: 64, seed: 1, backend: 'tfjs-node' },
  objectives: [
    { metric: 'val_auc', mode: 'max' },
    { metric: 'params', mode: 'min' },
  ],
  maxConcurrentTrials: 2,
};

export interface DanqLiteTable {
  howMade: string;
  spec: typeof TABLE_SPEC;
  rows: { params: Record<string, string | number>; valAuc: number | null; paramCount: number | null }[];
}

const tableFile = fileURLToPath(new URL('danq-lite-table.json', import.meta.url));

export function loadDanqLiteTable(): DanqLiteTable {
  return JSON.parse(readFileSync(tableFile, 'utf8')) as DanqLiteTable;
}

/** The table's row for a grid point (every key of the space, any order). */
export function tableLookup(table: DanqLiteTable): (params: Record<string, unknown>) => DanqLiteTable['rows'][number] {
  const keys = Object.keys(table.spec.space).sort();
  const keyOf = (params: Record<string, unknown>) => JSON.stringify(keys.map((k) => params[k]));
  const rows = new Map(table.rows.map((row) => [keyOf(row.params), row]));
  return (params) => {
    const row = rows.get(keyOf(params));
    if (row === undefined) throw new Error(`no DanQ-lite table row for ${JSON.stringify(params)}`);
    return row;
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sweepBin = fileURLToPath(new URL('../bin/sweep.js', import.meta.url));
  const dir = mkdtempSync(path.join(tmpdir(), 'danq-lite-table-'));
  try {
    const specFile = path.join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify(TABLE_SPEC));
    const started = Date.now();
    const report = JSON.parse(
      execFileSync(process.execPath, [sweepBin, 'start', specFile, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { SWEEP_HOME: path.join(dir, 'home'), ...process.env } }),
    ) as SweepReport;
    const minutes = (Date.now() - started) / 60_000;
    const table: DanqLiteTable = {
      howMade: `npm run bench:danq-lite-table: ${report.sweepId}, ${report.trials.length} real trainings (grid sweep of the spec below, native backend), ${minutes.toFixed(0)} min, ${new Date().toISOString().slice(0, 10)}`,
      spec: TABLE_SPEC,
      rows: report.trials.map((t) => ({ params: t.params as Record<string, string | number>, valAuc: t.status === 'completed' ? t.valAuc : null, paramCount: t.paramCount })),
    };
    writeFileAtomically(tableFile, [Buffer.from(`${JSON.stringify(table, null, 1)}\n`)]);
    console.log(table.howMade);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
