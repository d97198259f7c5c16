/**
 * A results database filled by a real sweep (real CLI, Temporal server, workers, PostgreSQL) and the
 * HTTP API serving it on a free port: what the API and Grafana contract tests run against. The
 * sweep has completed and failed trials, so every view (failures included) has rows.
 */
import assert from 'node:assert/strict';
import { openSweepHarness, tinyDataset, type SweepHarness } from './sweep-harness.js';
import { startApi, type RunningApi } from '../../../src/api/index.js';
import type { SweepReport } from '../../../src/cli/report.js';

export interface ResultsApi {
  harness: SweepHarness;
  api: RunningApi;
  report: SweepReport;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export const searchedSpace = { convFilters: [4, 8], learningRate: [0.003, 1e30] };

export async function openResultsApi(options: { token?: string } = {}): Promise<ResultsApi> {
  const harness = await openSweepHarness({ concurrency: 2 });
  const file = harness.spec('api', {
    name: 'api',
    dataset: tinyDataset,
    model: { preset: 'danq-lite', seqLen: 60, convKernel: 9, poolSize: 4, rnnUnits: 8, denseUnits: 8 },
    training: { epochs: 2, batchSize: 32, seed: 7 },
    maxConcurrentTrials: 2,
    space: searchedSpace,
    strategy: { type: 'grid' },
  });
  const { code, stdout, stderr } = await harness.sweep('start', file, '--json');
  assert.equal(code, 0, `sweep start failed: ${stderr}`);
  const report = JSON.parse(stdout) as SweepReport;
  const api = await startApi(harness.env.DATABASE_URL!, { host: '127.0.0.1', port: 0, token: options.token, version: 'test' });
  return {
    harness,
    api,
    report,
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
