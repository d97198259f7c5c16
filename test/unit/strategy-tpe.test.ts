import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../../src/sweep-spec/load.js';
import { planTrials, searchSpaceOf, strategySetupOf } from '../../src/sweep-spec/plan.js';
import type { ParamValue } from '../../src/strategy/index.js';
import type { SweepSpec } from '../../src/sweep-spec/types.js';
import { validateSweep } from '../../src/sweep-spec/validate.js';
import { sweepStrategy, type Decision, type StrategyState, type TrialReport } from '../../src/strategy/index.js';
import { buildEstimator, gamma, splitTrials, trialWeights, type TpeTrial } from '../../src/strategy/tpe-sampler.js';
import { tpeSpaceOf as tpeSpaceOfSearchSpace, validationProbes } from '../../src/strategy/tpe-space.js';

/** A TPE space from a spec's `space` JSON. */
const tpeSpaceOf = (space: Record<string, unknown>) => tpeSpaceOfSearchSpace(searchSpaceOf({ space } as unknown as SweepSpec));

type Params = Record<string, ParamValue>;

function tpeSpec(strategy: Record<string, unknown>, space: Record<string, unknown> = { learningRate: { logUniform: [1e-5, 1] }, rnn: ['lstm', 'gru'] }, extra: Record<string, unknown> = {}) {
  return parseSpec(
    {
      name: 'tpe-test',
      dataset: { format: 'synthetic' },
      space,
      strategy: { type: 'tpe', trials: 40, seed: 3, ...strategy },
      training: { epochs: 3, batchSize: 64, seed: 1 },
      ...extra,
    },
    'spec.json',
  );
}

/** The objective after `epoch` of a trial with `params`, or null for a run that fails (diverges). */
type Objective = (params: Params, epoch: number) => number | null;

interface Run {
  trial: number;
  kind: Decision['kind'];
  params: Params;
  /** The params of the trials running when this one started. */
  runningParams: Params[];
}

/**
 * Drives a strategy as the sweep workflow does: up to `concurrency` in flight, the oldest reports
 * first; checks every step's state survives JSON and, with `jsonRoundTrip`, continues from the copy.
 */
function drive(spec: SweepSpec, objective: Objective, options: { concurrency?: number; jsonRoundTrip?: boolean; stopAfter?: number; from?: StrategyState } = {}) {
  const pass = (state: StrategyState) => {
    const copy = JSON.parse(JSON.stringify(state)) as StrategyState;
    assert.deepEqual(copy, state, 'strategy state must survive JSON unchanged');
    return options.jsonRoundTrip ? copy : state;
  };
  let state = pass(options.from ?? sweepStrategy.initial(strategySetupOf(spec)));
  const inFlight: { trial: number; params: Params; from: number; until: number }[] = [];
  const runs: Run[] = [];
  const epochsOf = new Map<number, number>();
  for (let step = 0; step < 10_000; step++) {
    if (options.stopAfter !== undefined && runs.length >= options.stopAfter) return { runs, state };
    let decision: Decision = { kind: 'wait' };
    while (inFlight.length < (options.concurrency ?? 1)) {
      const next = sweepStrategy.next(state);
      state = pass(next.state);
      decision = next.decision;
      if (decision.kind !== 'start' && decision.kind !== 'continue') break;
      const params = decision.params;
      runs.push({ trial: decision.trial, kind: decision.kind, params, runningParams: inFlight.map((r) => r.params) });
      inFlight.push({ trial: decision.trial, params, from: epochsOf.get(decision.trial) ?? 0, until: decision.untilEpoch });
      if (options.stopAfter !== undefined && runs.length >= options.stopAfter) return { runs, state };
    }
    const run = inFlight.shift();
    if (run === undefined) {
      assert.equal(decision.kind, 'done');
      return { runs, state };
    }
    const curve: (number | null)[] = [];
    let failed = false;
    for (let epoch = 1; epoch <= run.until; epoch++) {
      const value = objective(run.params, epoch);
      if (value === null) failed = true;
      curve.push(value);
    }
    epochsOf.set(run.trial, failed ? run.from : run.until);
    const report: TrialReport = failed
      ? { trial: run.trial, status: 'failed', epochsTrained: run.from, objectiveByEpoch: curve.slice(0, run.from) }
      : { trial: run.trial, status: 'completed', epochsTrained: run.until, objectiveByEpoch: curve };
    state = pass(sweepStrategy.report(state, report));
  }
  throw new Error('the sweep does not end');
}

/** Best near learningRate 0.003 (a little better with lstm); learning rates above 0.05 diverge. */
const lrObjective: Objective = (p, epoch) => {
  const lr = p.learningRate as number;
  if (lr > 0.05) return null;
  const quality = Math.exp(-((Math.log10(lr) - Math.log10(0.003)) ** 2));
  return 0.5 + 0.4 * quality * (1 - Math.exp(-epoch)) + (p.rnn === 'lstm' ? 0.02 : 0);
};

const bestOf = (runs: Run[], objective: Objective, epoch: number) => Math.max(...runs.map((r) => objective(r.params, epoch) ?? -Infinity));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test('tpe: the same seed and results give the same trials; another seed gives others', () => {
  const a = drive(tpeSpec({ seed: 3 }), lrObjective).runs.map((r) => r.params);
  const b = drive(tpeSpec({ seed: 3 }), lrObjective).runs.map((r) => r.params);
  const c = drive(tpeSpec({ seed: 4 }), lrObjective).runs.map((r) => r.params);
  assert.equal(a.length, 40);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('tpe: state carried through JSON (continue-as-new) at every step, or once mid-run, suggests the same trials', () => {
  const spec = tpeSpec({ startupTrials: 5 });
  const straight = drive(spec, lrObjective, { concurrency: 3 }).runs;
  assert.deepEqual(drive(spec, lrObjective, { concurrency: 3, jsonRoundTrip: true }).runs, straight);

  // Stop with nothing in flight after 17 trials, carry the state as JSON, continue in a new "run".
  const first = drive(spec, lrObjective, { concurrency: 1, stopAfter: 17 });
  const sequential = drive(spec, lrObjective, { concurrency: 1 }).runs;
  const carried = JSON.parse(JSON.stringify(first.state)) as StrategyState;
  // The 17th trial was started but not reported: finish it as the drive loop would, then continue.
  const last = first.runs.at(-1)!;
  const reported = sweepStrategy.report(carried, { trial: last.trial, status: 'completed', epochsTrained: 3, objectiveByEpoch: [1, 2, 3].map((e) => lrObjective(last.params, e)!) });
  const rest = drive(spec, lrObjective, { from: reported });
  assert.deepEqual(
    [...first.runs, ...rest.runs].map((r) => r.params),
    sequential.map((r) => r.params),
  );
});

test('tpe: beats random search on the same budget (median best over 7 seeds)', () => {
  const seeds = [1, 2, 3, 4, 5, 6, 7];
  const best = (type: string) => median(seeds.map((seed) => bestOf(drive(tpeSpec({ type, seed, trials: 30 }), lrObjective).runs, lrObjective, 3)));
  const tpe = best('tpe');
  const random = best('random');
  assert.ok(tpe > random, `tpe ${tpe} > random ${random}`);
  assert.ok(tpe > 0.89, `tpe found ${tpe}, near the optimum 0.900`);
});

test('tpe: a region whose trials all fail is avoided once the model takes over', () => {
  // Learning rates above 0.05 diverge: 2 of the 5 decades of the range.
  const counts = [1, 2, 3].map((seed) => {
    const runs = drive(tpeSpec({ seed, trials: 60, startupTrials: 10 }), lrObjective).runs;
    const fails = (rs: Run[]) => rs.filter((r) => (r.params.learningRate as number) > 0.05).length;
    return { startup: fails(runs.slice(0, 10)) / 10, model: fails(runs.slice(20)) / 40 };
  });
  for (const { startup, model } of counts) assert.ok(model <= 0.1, `at most 10% of model-driven trials fail (got ${model}; startup ${startup})`);
});

test('tpe: failed trials rank below every finished one, and never count as good', () => {
  const t = (trial: number, state: TpeTrial['state'], score: number | null): TpeTrial => ({ trial, params: { x: trial }, state, level: 0, score });
  const trials = [t(1, 'failed', null), t(2, 'observed', 0.5), t(3, 'running', null), t(4, 'observed', 0.9), ...Array.from({ length: 8 }, (_, i) => t(5 + i, 'failed', null))];
  const { below, above } = splitTrials(trials);
  // 11 finished: gamma(11) = 2 good, but failures never are: only trial 4 and 2.
  assert.deepEqual(
    below.map((x) => x.trial),
    [2, 4],
  );
  assert.deepEqual(
    above.map((x) => x.trial),
    [1, 3, 5, 6, 7, 8, 9, 10, 11, 12],
    'failed and running trials are in the "above" group',
  );
  assert.equal(gamma(11), 2);
  assert.equal(gamma(1000), 25);
});

test('tpe: Optuna default weights and Parzen estimator values', () => {
  assert.deepEqual(trialWeights(3), [1, 1, 1]);
  const w = trialWeights(30);
  assert.equal(w.length, 30);
  // np.linspace(1/30, 1, 5) then 25 ones.
  assert.deepEqual(
    w.slice(0, 5).map((x) => Number(x.toFixed(6))),
    [0.033333, 0.275, 0.516667, 0.758333, 1],
  );
  // One categorical observation: kernel [1 + 1/2, 1/2] / 2 and the uniform prior, weights 1/2 each.
  const space = tpeSpaceOf({ c: ['a', 'b'] });
  const est = buildEstimator(space, [{ trial: 1, params: { c: 'a' }, state: 'observed', level: 0, score: 1 }]);
  assert.ok(Math.abs(est.logPdf({ c: 'a' }) - Math.log(0.5 * 0.75 + 0.5 * 0.5)) < 1e-12);
  // No observations: the prior alone, N(centre, range) truncated to the range: for [0, 1], N(0.5, 1) on [0, 1].
  const flat = buildEstimator(tpeSpaceOf({ x: { uniform: [0, 1] } }), []);
  // log(phi(0) / (Phi(0.5) - Phi(-0.5))), from Python's math.erf: 0.04097780049094946.
  assert.ok(Math.abs(flat.logPdf({ x: 0.5 }) - 0.04097780049094946) < 1e-12, String(flat.logPdf({ x: 0.5 })));
});

test('tpe: the Parzen estimator matches Optuna 5.0.0 on a mixed space (float, log float, int, categorical)', () => {
  // Golden values from Optuna 5.0.0 (pip), its own estimator with TPESampler's defaults:
  //   from optuna.distributions import FloatDistribution, CategoricalDistribution, IntDistribution
  //   from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
  //   from optuna.samplers._tpe.sampler import default_weights
  //   space = {"x": FloatDistribution(-5, 10), "lr": FloatDistribution(1e-5, 0.1, log=True),
  //            "k": IntDistribution(4, 40), "c": CategoricalDistribution(["a", "b", "c"])}
  //   obs = {"x": np.array([1.0, -3.2, 7.5, 2.2, 9.9]), "lr": np.array([1e-3, 2e-2, 5e-5, 3e-4, 0.09]),
  //          "k": np.array([4, 10, 40, 22, 23]), "c": np.array([0, 2, 2, 1, 0])}
  //   pe = _ParzenEstimator(obs, space, _ParzenEstimatorParameters(1.0, True, False, default_weights, True))
  //   pe.log_pdf({"x": np.array([0.0, 5.0, -4.9]), "lr": np.array([1e-4, 0.05, 2e-5]),
  //               "k": np.array([5, 22, 39]), "c": np.array([0, 1, 2])})
  const expected = [-8.504815821417342, -10.560362069994287, -10.777829233730944];
  const space = tpeSpaceOf({ x: { uniform: [-5, 10] }, lr: { logUniform: [1e-5, 0.1] }, k: { int: [4, 40] }, c: ['a', 'b', 'c'] });
  const rows: [number, number, number, string][] = [
    [1.0, 1e-3, 4, 'a'],
    [-3.2, 2e-2, 10, 'c'],
    [7.5, 5e-5, 40, 'c'],
    [2.2, 3e-4, 22, 'b'],
    [9.9, 0.09, 23, 'a'],
  ];
  const trials = rows.map(([x, lr, k, c], i): TpeTrial => ({ trial: i + 1, params: { x, lr, k, c }, state: 'observed', level: 0, score: 0 }));
  const estimator = buildEstimator(space, trials);
  const points: Params[] = [
    { x: 0, lr: 1e-4, k: 5, c: 'a' },
    { x: 5, lr: 0.05, k: 22, c: 'b' },
    { x: -4.9, lr: 2e-5, k: 39, c: 'c' },
  ];
  points.forEach((point, i) => assert.ok(Math.abs(estimator.logPdf(point) - expected[i]!) < 1e-12, `${estimator.logPdf(point)} vs Optuna ${expected[i]}`));
});

test('tpe: never repeats a configuration of a discrete space, and stops when the space is used up', () => {
  const space = { rnn: ['lstm', 'gru'], convDropout: [0.1, 0.2], convFilters: { int: [16, 18] } };
  for (const concurrency of [1, 4]) {
    const { runs } = drive(tpeSpec({ trials: 20, startupTrials: 3 }, space), (p) => 0.5 + (p.convFilters as number) / 100, { concurrency });
    const keys = runs.map((r) => JSON.stringify(r.params));
    assert.equal(new Set(keys).size, keys.length, `no duplicates at concurrency ${concurrency}`);
    assert.equal(runs.length, 12, 'all 2 x 2 x 3 configurations, then done');
  }
});

test('tpe: with trials in flight, no suggestion repeats a running or finished configuration', () => {
  const spec = tpeSpec({ trials: 40, startupTrials: 8 }, { convDropout: { uniform: [0, 0.6] }, rnnUnits: { int: [1, 50] } });
  const objective: Objective = (p) => -(((p.convDropout as number) - 0.3) ** 2) - (((p.rnnUnits as number) - 20) / 50) ** 2;
  const { runs } = drive(spec, objective, { concurrency: 4 });
  for (const run of runs.slice(8)) {
    for (const other of run.runningParams) assert.notDeepEqual(run.params, other);
  }
  assert.equal(new Set(runs.map((r) => JSON.stringify(r.params))).size, runs.length);
});

test('tpe univariate (multivariate: false) also runs, deterministically, and differs from joint', () => {
  const uni = drive(tpeSpec({ multivariate: false }), lrObjective).runs.map((r) => r.params);
  assert.deepEqual(
    drive(tpeSpec({ multivariate: false }), lrObjective).runs.map((r) => r.params),
    uni,
  );
  assert.notDeepEqual(
    drive(tpeSpec({}), lrObjective).runs.map((r) => r.params),
    uni,
  );
});

// ---- ASHA with the TPE sampler -----------------------------------------------------------------------

function ashaTpeSpec(seed: number, sampler: 'tpe' | 'random') {
  return tpeSpec({ type: 'asha', trials: 27, minEpochs: 1, maxEpochs: 9, reductionFactor: 3, seed, sampler, ...(sampler === 'tpe' ? { startupTrials: 6 } : {}) }, undefined, {
    training: { batchSize: 64, seed: 1 },
  });
}

test('asha + tpe: promotions continue the same trial with its params; new rung-0 trials come from TPE', () => {
  const spec = ashaTpeSpec(2, 'tpe');
  const { runs, state } = drive(spec, lrObjective, { concurrency: 2, jsonRoundTrip: true });
  assert.equal(state.type, 'asha-tpe');
  const starts = runs.filter((r) => r.kind === 'start');
  assert.equal(starts.length, 27);
  const paramsOf = new Map(starts.map((r) => [r.trial, r.params]));
  const continues = runs.filter((r) => r.kind === 'continue');
  assert.ok(continues.length > 0, 'some trials were promoted');
  for (const c of continues) assert.deepEqual(c.params, paramsOf.get(c.trial), `promoted trial ${c.trial} keeps its params`);
  // After startup the params are TPE's, not the plan's random draws.
  const plan = planTrials(spec);
  assert.ok(starts.slice(6).some((r) => JSON.stringify(r.params) !== JSON.stringify(plan[r.trial - 1]!.params)));
  // The sampler saw every trial finish: levels are the rungs they reached.
  if (state.type === 'asha-tpe') {
    assert.ok(state.sampler.trials.every((t) => t.state !== 'running'));
    assert.ok(
      state.sampler.trials.some((t) => t.level === 2),
      'a trial reached the top rung',
    );
  }
});

test('asha + tpe beats asha + random on the same budget (median best over 7 seeds)', () => {
  const seeds = [1, 2, 3, 4, 5, 6, 7];
  const best = (sampler: 'tpe' | 'random') => median(seeds.map((seed) => bestOf(drive(ashaTpeSpec(seed, sampler), lrObjective, { concurrency: 2 }).runs, lrObjective, 9)));
  const tpe = best('tpe');
  const random = best('random');
  assert.ok(tpe > random, `asha+tpe ${tpe} > asha+random ${random}`);
});

// ---- spec and validation -----------------------------------------------------------------------------

function problemsOf(strategy: Record<string, unknown>, space?: Record<string, unknown>, extra?: Record<string, unknown>): string[] {
  try {
    tpeSpec(strategy, space, extra);
    return [];
  } catch (err) {
    return [...(err as { problems: string[] }).problems];
  }
}

test('spec: tpe fields are checked and errors name them', () => {
  assert.deepEqual(problemsOf({ startupTrials: 50 }), ['strategy.startupTrials: must be a positive integer <= strategy.trials (40), got 50']);
  assert.deepEqual(problemsOf({ startupTrials: 0 }), ['strategy.startupTrials: must be a positive integer, got 0']);
  assert.deepEqual(problemsOf({ multivariate: 'yes' }), ['strategy.multivariate: must be true or false, got "yes"']);
  assert.deepEqual(problemsOf({ trials: undefined }), ['strategy.trials: required']);
  assert.deepEqual(problemsOf({ minEpochs: 1 }), ['strategy.minEpochs: unknown field']);
  const asha = { type: 'asha', minEpochs: 1, maxEpochs: 3 };
  // training.epochs 3 equals maxEpochs, as asha requires.
  assert.deepEqual(problemsOf({ ...asha, sampler: 'bayes' }), [`strategy.sampler: must be 'random' or 'tpe', got "bayes"`]);
  assert.deepEqual(problemsOf({ ...asha, startupTrials: 5 }), ['strategy.startupTrials: only with "sampler": "tpe" (or "type": "tpe")']);
  assert.deepEqual(problemsOf({ ...asha, sampler: 'tpe', startupTrials: 41 }), ['strategy.startupTrials: must be a positive integer <= strategy.trials (40), got 41']);
  const spec = tpeSpec({ ...asha, sampler: 'tpe' });
  assert.ok(spec.strategy.type === 'asha' && spec.strategy.sampler === 'tpe');
  const plain = tpeSpec({ ...asha }).strategy;
  assert.equal(plain.type === 'asha' ? plain.sampler : undefined, 'random', 'asha samples at random by default');
});

test('validate: a TPE space is shape-checked at its corners, naming the space value', () => {
  // Kernels up to 150 over 200 bp fit; pool 50 after a kernel of 150 leaves 51 positions: fine. 250 does not fit.
  const ok = validateSweep(tpeSpec({ trials: 3 }, { convKernel: { int: [5, 150] }, rnn: ['lstm', 'gru'] }));
  assert.deepEqual(ok.problems, []);
  const bad = validateSweep(tpeSpec({ trials: 3, seed: 1 }, { convKernel: { int: [5, 250] }, rnn: ['lstm', 'gru'] }));
  assert.ok(bad.problems.length > 0, 'the largest kernel cannot fit');
  assert.ok(
    bad.problems.every((p) => p.startsWith('space.convKernel')),
    bad.problems.join('\n'),
  );
  // Corners: every combination of choices and range ends while small; one at a time when large.
  assert.equal(validationProbes(tpeSpaceOf({ a: { int: [1, 9] }, b: ['x', 'y', 'z'], c: { uniform: [0, 1] } })).length, 12);
  const many = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`p${i}`, { int: [0, 5] }]));
  assert.equal(validationProbes(tpeSpaceOf(many)).length, 2 + 14);
});
