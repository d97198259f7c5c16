import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { paramImportances, type ImportanceInput } from '../../src/importance/index.js';
import type { SearchSpace } from '../../src/strategy/space.js';

/**
 * Expected values from Optuna's own get_param_importances: see test/fixtures/importance/generate.py
 * (PedAnovaImportanceEvaluator(), and FanovaImportanceEvaluator(seed=s) for s in 0..4).
 */
interface Case {
  name: string;
  direction: ImportanceInput['direction'];
  space: SearchSpace;
  trials: ImportanceInput['trials'];
  pedAnova: Record<string, number>;
  fanova: Record<string, Record<string, number>>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/importance/optuna-cases.json', import.meta.url), 'utf8')) as { optuna: string; sklearn: string; cases: Case[] };
const inputOf = (c: Case): ImportanceInput => ({ space: c.space, trials: c.trials, direction: c.direction });

/**
 * fANOVA's forest is seeded, and ours draws from another generator than scikit-learn's, so its
 * values are compared with the mean of Optuna's over five seeds: they agree within 0.05 (measured:
 * at most 0.04 on these cases, about Optuna's own spread between seeds), with the same most
 * important parameter. With 8 trials Optuna's seeds alone differ by 0.15, so that case only checks the shape.
 */
const FANOVA_TOLERANCE = 0.05;

test(`PED-ANOVA matches Optuna ${fixture.optuna} to 1e-6, in Optuna's order`, () => {
  for (const c of fixture.cases) {
    const ours = paramImportances(inputOf(c), 'ped-anova');
    assert.deepEqual(Object.keys(ours), Object.keys(c.pedAnova), `${c.name}: order`);
    for (const [name, expected] of Object.entries(c.pedAnova)) assert.ok(Math.abs(ours[name]! - expected) <= 1e-6, `${c.name} ${name}: expected ${expected}, got ${ours[name]}`);
  }
});

test(`fANOVA agrees with Optuna ${fixture.optuna} (scikit-learn ${fixture.sklearn}) within ${FANOVA_TOLERANCE}`, () => {
  for (const c of fixture.cases.filter((c) => c.trials.length >= 60 && c.trials.length <= 300)) {
    const ours = paramImportances(inputOf(c), 'fanova');
    const seeds = Object.values(c.fanova);
    const mean = (name: string) => seeds.reduce((s, imp) => s + imp[name]!, 0) / seeds.length;
    for (const name of Object.keys(c.pedAnova)) assert.ok(Math.abs(ours[name]! - mean(name)) <= FANOVA_TOLERANCE, `${c.name} ${name}: Optuna's mean ${mean(name)}, got ${ours[name]}`);
    assert.equal(Object.keys(ours)[0], Object.keys(seeds[0]!)[0], `${c.name}: most important parameter`);
  }
  const small = fixture.cases.find((c) => c.trials.length < 10)!;
  const ours = paramImportances(inputOf(small), 'fanova');
  assert.ok(Math.abs(Object.values(ours).reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test('fANOVA repeats itself for a seed and changes with it', () => {
  const c = fixture.cases.find((c) => c.name === 'mixed-60-max')!;
  assert.deepEqual(paramImportances(inputOf(c), 'fanova'), paramImportances(inputOf(c), 'fanova'));
  assert.notDeepEqual(paramImportances(inputOf(c), 'fanova', { seed: 1 }), paramImportances(inputOf(c), 'fanova', { seed: 2 }));
});

test('too few trials, or no signal, give equal importances as get_param_importances does', () => {
  const space: SearchSpace = [
    { name: 'x', kind: 'uniform', low: 0, high: 1 },
    { name: 'y', kind: 'choice', choices: ['a', 'b'] },
  ];
  for (const method of ['ped-anova', 'fanova'] as const) {
    assert.deepEqual(Object.values(paramImportances({ space, trials: [{ params: { x: 0.5, y: 'a' }, value: 1 }], direction: 'maximize' }, method)), [0.5, 0.5], method);
    const constant = [0.1, 0.5, 0.9].map((x, i) => ({ params: { x, y: i % 2 ? 'a' : 'b' }, value: 0.7 }));
    assert.deepEqual(Object.values(paramImportances({ space, trials: constant, direction: 'maximize' }, method)), [0.5, 0.5], `${method}: every value equal`);
  }
});

test('a parameter with a single choice has importance 0; non-finite values are left out', () => {
  const space: SearchSpace = [
    { name: 'x', kind: 'uniform', low: 0, high: 1 },
    { name: 'fixed', kind: 'choice', choices: [7] },
  ];
  const trials = Array.from({ length: 40 }, (_, i) => ({ params: { x: i / 40, fixed: 7 }, value: i === 3 ? NaN : i / 40 }));
  for (const method of ['ped-anova', 'fanova'] as const) {
    const importances = paramImportances({ space, trials, direction: 'maximize' }, method);
    assert.deepEqual(importances, { x: 1, fixed: 0 }, method);
  }
});
