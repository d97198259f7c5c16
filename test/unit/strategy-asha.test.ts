import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../../src/sweep-spec/load.js';
import { planTrials, strategySetupOf } from '../../src/sweep-spec/plan.js';
import { ashaRungEpochs } from '../../src/strategy/asha.js';
import { sweepStrategy } from '../../src/strategy/index.js';
import { simulate, type SimResult } from './strategy-sim.js';

function ashaSpec(strategy: Record<string, unknown>, objective: Record<string, unknown> = {}) {
  return parseSpec(
    {
      name: 'asha-test',
      dataset: { format: 'synthetic' },
      space: { learningRate: { logUniform: [0.00001, 0.1] } },
      strategy: { type: 'asha', seed: 3, ...strategy },
      training: { batchSize: 64, seed: 1 },
      objective,
    },
    'spec.json',
  );
}

/**
 * A learning curve whose final level depends on the learning rate (best near 0.003) and which
 * rises with epochs, so a trial's rank is the same at every rung.
 */
function aucCurve(learningRate: number, epoch: number): number {
  const quality = Math.exp(-((Math.log10(learningRate) - Math.log10(0.003)) ** 2));
  return 0.5 + 0.45 * quality * (1 - Math.exp(-epoch / 2));
}

const spec = ashaSpec({ trials: 27, minEpochs: 1, maxEpochs: 9, reductionFactor: 3 });
const plan = planTrials(spec);
const lr = (trial: number) => plan[trial - 1]!.params.learningRate as number;
const auc = (trial: number, epoch: number) => aucCurve(lr(trial), epoch);
const bestTrial = plan.reduce((best, t) => (auc(t.number, 9) > auc(best.number, 9) ? t : best)).number;

/**
 * Replays the timeline: every promotion must come from the top 1/eta of the rung results reported
 * before it, and when the sweep ends, every trial in the top 1/eta of a rung must have been promoted.
 */
function assertPromotionsFromTopFraction(result: SimResult, rungs: number[], eta: number, mode: 'max' | 'min'): number {
  const finished: { trial: number; score: number }[][] = rungs.map(() => []);
  const promoted = rungs.map(() => new Set<number>());
  const topOf = (rung: number) =>
    [...finished[rung]!]
      .sort((a, b) => (mode === 'max' ? b.score - a.score : a.score - b.score) || a.trial - b.trial)
      .slice(0, Math.floor(finished[rung]!.length / eta))
      .map((e) => e.trial);
  let promotions = 0;
  for (const event of result.timeline) {
    if (event.kind === 'report') {
      const { report } = event;
      const rung = rungs.indexOf(report.epochsTrained);
      if (report.status !== 'completed' || rung < 0) continue;
      const scores = report.objectiveByEpoch.slice(0, rungs[rung]).map((x) => x ?? Number.NaN);
      finished[rung]!.push({ trial: report.trial, score: mode === 'max' ? Math.max(...scores) : Math.min(...scores) });
    } else if (event.decision.kind === 'continue') {
      promotions++;
      const from = rungs.indexOf(event.decision.untilEpoch) - 1;
      assert.ok(from >= 0, `continue to ${event.decision.untilEpoch}, not a rung`);
      const top = topOf(from);
      assert.ok(top.includes(event.decision.trial), `trial ${event.decision.trial} promoted from rung ${from} but not in its top 1/${eta}: ${top.join(', ')}`);
      promoted[from]!.add(event.decision.trial);
    }
  }
  for (let rung = 0; rung < rungs.length - 1; rung++) {
    const missed = topOf(rung).filter((trial) => !promoted[rung]!.has(trial));
    assert.deepEqual(missed, [], `trials in the final top 1/${eta} of rung ${rung} never promoted`);
  }
  return promotions;
}

test('rungs sit at minEpochs * eta^k, capped at maxEpochs', () => {
  assert.deepEqual(ashaRungEpochs(1, 9, 3), [1, 3, 9]);
  assert.deepEqual(ashaRungEpochs(1, 10, 3), [1, 3, 9, 10]);
  assert.deepEqual(ashaRungEpochs(2, 6, 2), [2, 4, 6]);
  assert.deepEqual(ashaRungEpochs(4, 4, 3), [4]);
});

test('asha on a synthetic objective: promotions from the top 1/eta only, by continuing, far fewer epochs, best found', () => {
  const result = simulate(spec, plan, { concurrency: 3, objective: auc });
  const promotions = assertPromotionsFromTopFraction(result, [1, 3, 9], 3, 'max');
  assert.ok(promotions >= 9, `only ${promotions} promotions`);

  // Every planned trial starts exactly once, at rung 0; later rungs are only ever continuations.
  const starts = result.decisions.filter((d) => d.kind === 'start');
  assert.deepEqual(
    starts.map((d) => d.trial).sort((a, b) => a - b),
    plan.map((t) => t.number),
  );
  assert.ok(starts.every((d) => d.untilEpoch === 1));
  assert.ok(result.decisions.filter((d) => d.kind === 'continue').every((d) => d.untilEpoch === 3 || d.untilEpoch === 9));

  // Asynchronous promotion is optimistic (a trial in the top 1/eta so far goes on at once), so
  // more than 1/eta of a rung may move up; the saving against grid is still large.
  const gridEpochs = plan.length * 9;
  assert.ok(result.totalEpochs < gridEpochs * 0.6, `asha trained ${result.totalEpochs} epochs, grid would train ${gridEpochs}`);
  assert.equal(result.epochsByTrial.get(bestTrial), 9, `the best trial ${bestTrial} was not trained to the last rung`);
  const finalScores = result.reports.map((r) => r.objectiveByEpoch.at(-1) ?? Number.NaN);
  assert.equal(result.reports[finalScores.indexOf(Math.max(...finalScores))]!.trial, bestTrial);
});

test('the state survives a JSON round trip at every step with identical decisions (continue-as-new)', () => {
  const direct = simulate(spec, plan, { concurrency: 2, objective: auc });
  const viaJson = simulate(spec, plan, { concurrency: 2, objective: auc, jsonRoundTrip: true });
  assert.deepEqual(viaJson.timeline, direct.timeline);
  assert.deepEqual(viaJson.state, direct.state);
});

test('failed, cancelled and early-stopped trials are never promoted, however good their scores', () => {
  const badEnds = new Map([
    [bestTrial, 'early-stopped'],
    [plan.length - bestTrial + 1 === bestTrial ? 1 : plan.length - bestTrial + 1, 'failed'],
    [2, 'cancelled'],
  ] as const);
  const result = simulate(spec, plan, {
    concurrency: 3,
    // The troubled trials look excellent, so only their status keeps them back.
    objective: (trial, epoch) => (badEnds.has(trial) ? 0.99 : auc(trial, epoch)),
    outcome: (trial, untilEpoch) => {
      const status = badEnds.get(trial);
      return status === undefined ? undefined : { status, epochsTrained: status === 'failed' ? 0 : Math.max(0, untilEpoch - 1) };
    },
  });
  for (const trial of badEnds.keys()) {
    assert.ok(!result.decisions.some((d) => d.kind === 'continue' && d.trial === trial), `trial ${trial} was promoted`);
  }
  assertPromotionsFromTopFraction(result, [1, 3, 9], 3, 'max');
});

test('a loss objective is minimised: the lowest best-so-far losses are promoted', () => {
  const lossSpec = ashaSpec({ trials: 27, minEpochs: 1, maxEpochs: 9 }, { metric: 'val_loss' });
  assert.equal(lossSpec.objective.mode, 'min');
  // Every other trial but the best overfits after epoch 2, so its last loss is not its best one.
  const overfit = (trial: number, epoch: number) => (trial % 2 === 0 && trial !== bestTrial ? 0.15 * Math.max(0, epoch - 2) : 0);
  const loss = (trial: number, epoch: number) => 1 - auc(trial, epoch) + overfit(trial, epoch);
  const result = simulate(lossSpec, planTrials(lossSpec), { concurrency: 3, objective: loss });
  assertPromotionsFromTopFraction(result, [1, 3, 9], 3, 'min');
  assert.equal(result.epochsByTrial.get(bestTrial), 9);
});

test("a rung's score is the best objective up to the rung's epoch, in the objective's direction", () => {
  const lossSpec = ashaSpec({ trials: 4, minEpochs: 2, maxEpochs: 4, reductionFactor: 2 }, { metric: 'val_loss' });
  let state = sweepStrategy.initial(strategySetupOf(lossSpec));
  const next = () => {
    const step = sweepStrategy.next(state);
    state = step.state;
    return step.decision;
  };
  const lossPlan = planTrials(lossSpec);
  for (const trial of [1, 2, 3, 4]) assert.deepEqual(next(), { kind: 'start', trial, params: lossPlan[trial - 1]!.params, untilEpoch: 2 });
  assert.deepEqual(next(), { kind: 'wait' });
  // Trial 1 has the best loss so far (0.2) but the worst last one (0.8).
  const losses: Record<number, number[]> = { 1: [0.2, 0.8], 2: [0.4, 0.4], 3: [0.5, 0.5], 4: [0.7, 0.6] };
  for (const [trial, objectiveByEpoch] of Object.entries(losses)) {
    state = sweepStrategy.report(state, { trial: Number(trial), status: 'completed', epochsTrained: 2, objectiveByEpoch });
  }
  assert.deepEqual(next(), { kind: 'continue', trial: 1, params: lossPlan[0]!.params, untilEpoch: 4 });
  assert.deepEqual(next(), { kind: 'continue', trial: 2, params: lossPlan[1]!.params, untilEpoch: 4 });
  assert.deepEqual(next(), { kind: 'wait' });
  state = sweepStrategy.report(state, { trial: 1, status: 'completed', epochsTrained: 4, objectiveByEpoch: [0.2, 0.8, 0.3, 0.3] });
  state = sweepStrategy.report(state, { trial: 2, status: 'completed', epochsTrained: 4, objectiveByEpoch: [0.4, 0.4, 0.3, 0.3] });
  assert.deepEqual(next(), { kind: 'done' });
});

test('a NaN objective ranks last and is never promoted', () => {
  const nanTrial = bestTrial;
  const result = simulate(spec, plan, { concurrency: 2, objective: (trial, epoch) => (trial === nanTrial ? Number.NaN : auc(trial, epoch)) });
  assert.equal(result.epochsByTrial.get(nanTrial), 1);
});

test('duplicate reports are ignored; next() on a fresh sweep starts trial 1 at the first rung', () => {
  let state = sweepStrategy.initial(strategySetupOf(spec));
  const first = sweepStrategy.next(state);
  assert.deepEqual(first.decision, { kind: 'start', trial: 1, params: plan[0]!.params, untilEpoch: 1 });
  state = first.state;
  const report = { trial: 1, status: 'completed', epochsTrained: 1, objectiveByEpoch: [0.7] } as const;
  const once = sweepStrategy.report(state, report);
  assert.deepEqual(sweepStrategy.report(once, report), once);
  assert.deepEqual(sweepStrategy.report(state, { ...report, trial: 5 }), state);
});
