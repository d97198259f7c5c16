// Scenario 8: a dataset file edited on disk after `sweep start` validated and fingerprinted it. Every
// trial fails non-retryably with a reason naming the file and both fingerprints, the sweep ends
// (no result: 'failed'), and `sweep status` says so and exits 3.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SWEEP_FAILED_EXIT } from '../../src/cli/outcome.js';
import { openFaultStack, standardSpec, trainingAttempts, type FaultStack } from './support/fault-stack.js';
import { assertSweepInvariants, epochsRedone, recordScenario } from './support/invariants.js';

let stack: FaultStack;
before(async () => (stack = await openFaultStack()));
after(async () => await stack?.close());

test('a dataset file changed after validation: trials fail naming the file and both fingerprints, the sweep ends failed', async () => {
  const data = path.join(stack.dir, 'data.tsv');
  const synth = await stack.sweep('data', 'synth', '--out', data, '--samples', '600', '--seq-len', '60', '--motifs', '250');
  assert.equal(synth.code, 0, synth.stderr);
  await stack.worker('orchestration');
  const spec = stack.spec('changed', standardSpec('changed', { dataset: { train: 'data.tsv', validFraction: 0.3 }, space: { learningRate: [0.005, 0.01] } }));
  // No train worker yet: the edit lands between validation and training.
  const { sweepId, startedAt } = await stack.startSweep(spec);
  const fingerprint = (await stack.db.getSweep(sweepId))!.datasetFingerprint;
  const lines = readFileSync(data, 'utf8').split('\n');
  const row = lines.length - (lines.at(-1) === '' ? 2 : 1); // a data row: one base of its sequence flips
  lines[row] = lines[row]!.replace(/[ACGT]/, (b) => (b === 'A' ? 'C' : 'A'));
  writeFileSync(data, lines.join('\n'));
  await stack.worker('train', 2);

  const { wallSeconds } = await stack.sweepResult(sweepId, startedAt);
  const trials = await assertSweepInvariants(stack.db, stack.client, sweepId, { allowed: ['failed'] });
  for (const t of trials) {
    assert.match(t.failureReason!, /^DatasetMismatch: on worker \S+: The dataset here \(/);
    assert.ok(t.failureReason!.includes(`(${path.basename(data)})`), `${t.id} names the file: ${t.failureReason}`);
    assert.match(t.failureReason!, new RegExp(`has fingerprint [0-9a-f]{12}, but the sweep was started with ${fingerprint.slice(0, 12)}`));
    assert.equal(await trainingAttempts(stack.client, t.sweepId, t.id), 1, `${t.id}: not retried`);
  }
  const status = await stack.sweep('status', sweepId);
  assert.equal(status.code, SWEEP_FAILED_EXIT, status.stderr);
  assert.match(status.stderr, new RegExp(`error: sweep ${sweepId} failed: none of its 2 trial\\(s\\) produced a result \\(2 failed`));
  assert.match(status.stdout, /DatasetMismatch: on worker/);
  recordScenario({
    scenario: '8 dataset changed',
    fault: 'data.tsv edited after validation',
    epochsRedone: epochsRedone(stack.workers, sweepId),
    wallSeconds,
    notes: `sweep row ${(await stack.db.getSweep(sweepId))!.status}; sweep status exit ${status.code}`,
  });
});
