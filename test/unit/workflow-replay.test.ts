// Workflow code is a contract with every running sweep: the histories in test/fixtures/histories
// (recorded by record.ts there, with the release that introduced them: grid, ASHA with promotions,
// continue-as-new, paused + resumed by signals and by updates, cancelled) must replay on today's
// workflow bundle without a non-determinism error. A change that breaks one needs `patched()`
// (README "Upgrading workers"). Each scenario is a folder of runs as Temporal CLI JSON,
// `<workflowId>.run-<n>.json`, n counting the workflow's runs (continue-as-new, promotions) from 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../workers/index.js';
import { historyFromCliJson } from '../support/history-json.js';

const dir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const scenarios = readdirSync(dir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

test('the fixtures cover every scenario', () => {
  const recorded = ['asha-promotions', 'cancelled', 'continue-as-new', 'grid', 'paused-resumed'];
  // Each scenario as recorded with trials as activities of the sweep, and as recorded before the
  // 'trials-as-activities' patch (trials as child workflows), which running sweeps may still replay;
  // pause and resume by update exist only since trials are activities.
  assert.deepEqual(scenarios, [...recorded.flatMap((s) => [s, `${s}.trial-workflows`]), 'paused-resumed-by-update'].sort());
});

for (const scenario of scenarios) {
  test(`replays ${scenario}`, async () => {
    const histories = readdirSync(`${dir}${scenario}`)
      .filter((f) => /\.run-\d+\.json$/.test(f))
      .map((f) => ({ workflowId: f.replace(/\.run-\d+\.json$/, ''), history: historyFromCliJson(JSON.parse(readFileSync(`${dir}${scenario}/${f}`, 'utf8')), `${scenario}/${f}`) }));
    assert.ok(histories.length >= 1);
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
      replayed++;
    }
    assert.equal(replayed, histories.length);
  });
}
