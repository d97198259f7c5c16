// Bad several-objective specs through the real CLI (`sweep validate`, no servers): exit 2, one line
// per problem naming the key, nothing else. The warm-start refusals need the earlier sweep's row, so
// they are checked on the real servers (multiobjective-acceptance, sweep-multiobjective).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runSweepCli } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'danq-sweep-objectives-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const spec = (overrides: Record<string, unknown>) => ({
  name: 'objectives',
  dataset: { format: 'synthetic', samples: 200 },
  model: { preset: 'danq-lite', seqLen: 60 },
  space: { convFilters: [4, 8] },
  strategy: { type: 'tpe', trials: 2 },
  training: { epochs: 1, batchSize: 32, seed: 1 },
  ...overrides,
});

const metrics = "'val_auc' or 'val_pr_auc' or 'val_loss' or 'params' or 'inference_ms_per_1k' or 'train_seconds'";
const cases: [what: string, overrides: Record<string, unknown>, message: string][] = [
  ['an unknown objective metric', { objectives: [{ metric: 'val_auc' }, { metric: 'flops' }] }, `objectives[1].metric: must be ${metrics}, got "flops"`],
  ['an objective listed twice', { objectives: [{ metric: 'params' }, { metric: 'val_auc' }, { metric: 'params', mode: 'min' }] }, 'objectives[2].metric: params is listed twice (also objectives[0])'],
  ['a constraint on an unknown metric', { constraints: [{ metric: 'size', max: 1000 }] }, `constraints[0].metric: must be ${metrics}, got "size"`],
  ['an unknown single objective metric', { objective: { metric: 'accuracy' } }, 'objective.metric: '],
];

for (const [what, overrides, message] of cases) {
  test(`${what}: sweep validate exits 2 naming the key`, async () => {
    const file = path.join(dir, `${what.replaceAll(' ', '-')}.json`);
    writeFileSync(file, JSON.stringify(spec(overrides)));
    const { code, stdout, stderr } = await runSweepCli(['validate', file], { env: { ...process.env, SWEEP_HOME: dir } });
    assert.equal(code, 2, stderr);
    assert.equal(stdout, '');
    assert.ok(stderr.includes(message), `expected '${message}' in:\n${stderr}`);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  });
}
