// Which two objectives the Pareto scatter (report, API, Grafana) draws for each kind of ranked sweep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scatterAxes } from '../../src/db/read-model.js';

const auc = { metric: 'val_auc', mode: 'max' } as const;
const params = { metric: 'params', mode: 'min' } as const;

test('several objectives: the first on y, the second on x; later ones are not drawn', () => {
  assert.deepEqual(scatterAxes({ objectives: [auc, params, { metric: 'train_seconds', mode: 'min' }], constraints: [] }), { x: params, y: auc });
});

test('one objective with constraints: x is the first constrained metric other than the objective, with its own direction', () => {
  assert.deepEqual(
    scatterAxes({
      objectives: [auc],
      constraints: [
        { metric: 'val_auc', min: 0.6 },
        { metric: 'inference_ms_per_1k', max: 50 },
      ],
    }),
    {
      x: { metric: 'inference_ms_per_1k', mode: 'min' },
      y: auc,
    },
  );
});

test('one objective constrained on itself only: x is the parameter count', () => {
  assert.deepEqual(scatterAxes({ objectives: [auc], constraints: [{ metric: 'val_auc', min: 0.6 }] }), { x: params, y: auc });
});
