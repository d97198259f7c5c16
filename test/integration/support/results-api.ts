/**
 * A results database filled by a real sweep (real CLI, Temporal server, workers, PostgreSQL) and the
 * HTTP API serving it on a free port: what the API and Grafana contract tests run against. The
 * sweep has completed and failed trials, so every view (failures included) has rows. With
 * `severalObjectives`, a second sweep trades val AUC against parameters under a constraint, with
 * front, dominated-or-front and infeasible trials and failures, for the views of such sweeps.
 */
import assert from 'node:assert/strict';
import { openSweepHarness, tinyDataset, type SweepHarness } from './sweep-harness.js';
import { startApi, type RunningApi } from '../../../src/api/index.js';
import type { SweepReport } from '../../../src/cli/report.js';

export interface ResultsApi {
  harness: SweepHarness;
  api: RunningApi;
  report: SweepReport;
  /** The sweep with two objectives and a constraint, when asked for (created after `report`'s). */
  severalObjectives?: SweepReport;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export const searchedSpace = { convFilters: [4, 8], learningRate: [0.003, 1e30] };

/** rnnUnits 4 or 16 changes the parameter count by thousands: the constraint cuts between them; learning rate 1e30 diverges. */
const severalObjectivesSweep = {
  name: 'api-mo',
  dataset: tinyDataset,
  model: { preset: 'danq-lite', seqLen: 60, convKernel: 9, poolSize: 4, denseUnits: 8 },
  training: { epochs: 1, batchSize: 32, seed: 7 },
  maxConcurrentTrials: 2,
  space: { convFilters: [4, 8], rnnUnits: [4, 16], learningRate: [0.003, 1e30] },
  objectives: [{ metric: 'val_auc' }, { metric: 'params' }],
  constraints: [{ metric: 'params', max: 2500 }],
  strategy: { type: 'grid' },
};

export async function openResultsApi(options: { token?: string; severalObjectives?: boolean } = {}): Promise<ResultsApi> {
  const harness = await openSweepHarness({ concurrency: 2 });
  const run = async (name: string, spec: Record<string, unknown>): Promise<SweepReport> => {
    const { code, stdout, stderr } = await harness.sweep('start', harness.spec(name, spec), '--json');
    assert.equal(code, 0, `sweep start failed: ${stderr}`);
    return JSON.parse(stdout) as SweepReport;
  };
  const report = await run('api', {
    name: 'api',
    dataset: tinyDataset,
    model: { preset: 'danq-lite', seqLen: 60, convKernel: 9, poolSize: 4, rnnUnits: 8, denseUnits: 8 },
    training: { epochs: 2, batchSize: 32, seed: 7 },
    maxConcurrentTrials: 2,
    space: searchedSpace,
    strategy: { type: 'grid' },
  });
  const severalObjectives = options.severalObjectives ? await run('api-mo', severalObjectivesSweep) : undefined;
  const api = await startApi(harness.env.DATABASE_URL!, { host: '127.0.0.1', port: 0, token: options.token, version: 'test' });
  return {
    harness,
    api,
    report,
    severalObjectives,
    async get(path, headers = {}) {
      const response = await fetch(api.url + path, { headers });
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.status, body, text, headers: response.headers };
    },
    async close() {
      await api.close();
      await harness.close();
    },
  };
}
