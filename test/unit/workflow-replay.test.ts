// Workflow code is a contract with every running sweep: the histories in test/fixtures/histories
// (recorded by record.ts there, with the release that introduced them: grid, ASHA with promotions,
// continue-as-new, paused + resumed, cancelled) must replay on today's workflow bundle without a
// non-determinism error. A change that breaks one needs `patched()` (README "Upgrading workers").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../workers/index.js';

const { temporal } = proto;

const dir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('the fixtures cover every scenario', () => {
  const scenarios = ['asha-promotions', 'cancelled', 'continue-as-new', 'grid', 'paused-resumed'];
  // Each scenario as recorded with trials as activities of the sweep, and as recorded before the
  // 'trials-as-activities' patch (trials as child workflows), which running sweeps may still replay.
  assert.deepEqual(fixtures, scenarios.flatMap((s) => [`${s}.json`, `${s}.trial-workflows.json`]).sort());
});

for (const file of fixtures) {
  test(`replays ${file}`, async () => {
    const fixture = JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as { histories: { workflowId: string; history: string }[] };
    const histories = fixture.histories.map((h) => ({ workflowId: h.workflowId, history: temporal.api.history.v1.History.decode(Buffer.from(h.history, 'base64')) }));
    assert.ok(histories.length >= 1);
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
      replayed++;
    }
    assert.equal(replayed, histories.length);
  });
}
