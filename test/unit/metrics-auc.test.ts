import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { averagePrecision, binaryMetrics, evaluateTasks, MetricsInputError, rocAuc } from '../../src/metrics/index.js';
import { Float64Sorter, sortUint32Range } from '../../src/metrics/sort.js';
import { Rng } from '../../src/rng.js';

/** Expected values from scikit-learn: see test/fixtures/metrics/generate.py. */
interface Case {
  name: string;
  float32: boolean;
  labels: number[];
  scores: number[];
  rocAuc: number | null;
  prAuc: number | null;
  positives: number;
  negatives: number;
}
interface MultiCase {
  name: string;
  float32: boolean;
  numTasks: number;
  taskNames: string[] | null;
  labels: number[];
  scores: number[];
  tasks: { task: string; rocAuc: number | null; prAuc: number | null; positives: number; negatives: number }[];
  meanRocAuc: number | null;
  meanPrAuc: number | null;
  skippedTasks: string[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/metrics/sklearn-cases.json', import.meta.url), 'utf8')) as {
  sklearn: string;
  cases: Case[];
  multiTask: MultiCase[];
};

const TOL = 1e-9;

function close(actual: number | null | undefined, expected: number | null, what: string): void {
  if (expected === null) {
    assert.equal(actual, null, `${what}: expected null (skipped), got ${actual}`);
    return;
  }
  assert.equal(typeof actual, 'number', `${what}: expected ${expected}, got ${actual}`);
  assert.ok(Math.abs(actual! - expected) <= TOL, `${what}: expected ${expected} (scikit-learn ${fixture.sklearn}), got ${actual}`);
}

/** Every representation a caller may pass: number[], Float64Array, and Float32Array where exact. */
function scoreInputs(c: { float32: boolean; scores: number[] }): [string, ArrayLike<number>][] {
  const inputs: [string, ArrayLike<number>][] = [
    ['number[]', c.scores],
    ['Float64Array', Float64Array.from(c.scores)],
  ];
  if (c.float32) inputs.push(['Float32Array', Float32Array.from(c.scores)]);
  return inputs;
}

test(`fixture holds the promised kinds of cases (scikit-learn ${fixture.sklearn})`, () => {
  assert.ok(fixture.cases.length >= 30, 'at least 30 cases');
  assert.ok(
    fixture.cases.some((c) => c.rocAuc === null),
    'single-class cases',
  );
  assert.ok(
    fixture.cases.some((c) => c.labels.length >= 5000),
    'large n',
  );
  assert.ok(
    fixture.cases.some((c) => c.float32),
    'float32 scores',
  );
  assert.ok(
    fixture.cases.some((c) => c.labels.length <= 3),
    'tiny n',
  );
  assert.ok(
    fixture.multiTask.some((m) => m.skippedTasks.length > 0),
    'a multi-task case with skipped tasks',
  );
});

test('rocAuc, averagePrecision and binaryMetrics agree with scikit-learn on every fixture case', () => {
  for (const c of fixture.cases) {
    for (const [kind, scores] of scoreInputs(c)) {
      for (const [lkind, labels] of [
        ['number[]', c.labels],
        ['Uint8Array', Uint8Array.from(c.labels)],
        ['Float32Array', Float32Array.from(c.labels)],
      ] as const) {
        const what = `${c.name} (${kind} scores, ${lkind} labels)`;
        close(rocAuc(labels, scores), c.rocAuc, `${what} rocAuc`);
        close(averagePrecision(labels, scores), c.prAuc, `${what} averagePrecision`);
        const m = binaryMetrics(labels, scores);
        if (c.rocAuc === null) {
          assert.equal(m, null, what);
        } else {
          close(m?.rocAuc, c.rocAuc, `${what} binaryMetrics.rocAuc`);
          close(m?.prAuc, c.prAuc, `${what} binaryMetrics.prAuc`);
          assert.equal(m?.positives, c.positives, what);
          assert.equal(m?.negatives, c.negatives, what);
        }
      }
    }
  }
});

test('each fixture case evaluated as one task of evaluateTasks gives the same values, counts and skips', () => {
  for (const c of fixture.cases) {
    for (const [kind, scores] of scoreInputs(c)) {
      const e = evaluateTasks(c.labels, scores, 1, [c.name]);
      const what = `${c.name} (${kind})`;
      assert.equal(e.tasks.length, 1);
      assert.equal(e.tasks[0]!.task, c.name);
      close(e.tasks[0]!.rocAuc, c.rocAuc, what);
      close(e.tasks[0]!.prAuc, c.prAuc, what);
      assert.equal(e.tasks[0]!.positives, c.positives, what);
      assert.equal(e.tasks[0]!.negatives, c.negatives, what);
      close(e.meanRocAuc, c.rocAuc, `${what} mean`);
      assert.deepEqual(e.skippedTasks, c.rocAuc === null ? [c.name] : [], what);
    }
  }
});

test('evaluateTasks agrees with scikit-learn on the multi-task fixtures (row-major [sample][task])', () => {
  for (const m of fixture.multiTask) {
    for (const [kind, scores] of scoreInputs(m)) {
      const labels = Float32Array.from(m.labels);
      const e = evaluateTasks(labels, scores, m.numTasks, m.taskNames ?? undefined);
      const what = `${m.name} (${kind})`;
      assert.deepEqual(
        e.tasks.map((t) => t.task),
        m.tasks.map((t) => t.task),
        what,
      );
      for (const [t, expected] of m.tasks.entries()) {
        close(e.tasks[t]!.rocAuc, expected.rocAuc, `${what} ${expected.task} rocAuc`);
        close(e.tasks[t]!.prAuc, expected.prAuc, `${what} ${expected.task} prAuc`);
        assert.equal(e.tasks[t]!.positives, expected.positives);
        assert.equal(e.tasks[t]!.negatives, expected.negatives);
      }
      close(e.meanRocAuc, m.meanRocAuc, `${what} meanRocAuc`);
      close(e.meanPrAuc, m.meanPrAuc, `${what} meanPrAuc`);
      assert.deepEqual(e.skippedTasks, m.skippedTasks, what);
    }
  }
});

/** O(n^2) definitions, independent of the sorted walk: pairs for ROC AUC, thresholds for AP. */
function bruteForce(labels: ArrayLike<number>, scores: ArrayLike<number>): { rocAuc: number; prAuc: number } | null {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? pos : neg).push(scores[i]!);
  if (pos.length === 0 || neg.length === 0) return null;
  let wins = 0;
  for (const p of pos) for (const q of neg) wins += p > q ? 1 : p === q ? 0.5 : 0;
  const thresholds = [...new Set(Array.from(scores, (s) => s + 0))].sort((a, b) => b - a);
  let ap = 0;
  let prevRecall = 0;
  for (const th of thresholds) {
    const tp = pos.filter((s) => s >= th).length;
    const fp = neg.filter((s) => s >= th).length;
    const recall = tp / pos.length;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return { rocAuc: wins / (pos.length * neg.length), prAuc: ap };
}

test('random inputs (ties, negatives, ±Infinity, signed zeros, float32 and float64) agree with the O(n^2) definitions', () => {
  const rng = new Rng(7);
  const specials = [0, -0, Infinity, -Infinity, 1e-310, -1e-310, Number.MAX_VALUE, -Number.MAX_VALUE, 0.5, -0.5];
  for (let trial = 0; trial < 60; trial++) {
    const n = 2 + rng.int(0, trial < 40 ? 60 : 1200);
    const labels = new Uint8Array(n);
    const scores = new Float64Array(n);
    const mode = trial % 4;
    for (let i = 0; i < n; i++) {
      labels[i] = rng.next() < 0.3 ? 1 : 0;
      const u = rng.next();
      scores[i] =
        mode === 0
          ? u + 0.3 * labels[i]! // continuous
          : mode === 1
            ? Math.round(u * 8) - 4 // heavy ties, negatives
            : mode === 2
              ? specials[rng.int(0, specials.length - 1)]! // edge values
              : (u - 0.5) * 10 ** rng.int(-5, 5); // mixed magnitudes and signs
    }
    const expected = bruteForce(labels, scores);
    for (const s of [scores, Float32Array.from(scores)]) {
      const got = binaryMetrics(labels, s);
      const exp = s instanceof Float32Array ? bruteForce(labels, Array.from(s)) : expected;
      if (exp === null) {
        assert.equal(got, null);
        continue;
      }
      assert.ok(got !== null, `trial ${trial}`);
      assert.ok(Math.abs(got.rocAuc - exp.rocAuc) <= TOL, `trial ${trial} (${s.constructor.name}) rocAuc ${got.rocAuc} vs ${exp.rocAuc}`);
      assert.ok(Math.abs(got.prAuc - exp.prAuc) <= TOL, `trial ${trial} (${s.constructor.name}) prAuc ${got.prAuc} vs ${exp.prAuc}`);
    }
  }
});

test('results do not depend on sample order', () => {
  const c = fixture.cases.find((x) => x.name.startsWith('large n=5000 ties'))!;
  const rng = new Rng(3);
  const order = Array.from(c.labels, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const a = binaryMetrics(c.labels, c.scores)!;
  const b = binaryMetrics(
    order.map((i) => c.labels[i]!),
    order.map((i) => c.scores[i]!),
  )!;
  assert.deepEqual(a, b);
});

test('radix sorts order like the native sort, above and below the radix threshold', () => {
  const rng = new Rng(11);
  const specials = [0, Infinity, -Infinity, 5e-324, -5e-324, 1e-310, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1];
  for (const n of [0, 1, 5, 255, 256, 257, 1000, 5000]) {
    for (let mode = 0; mode < 4; mode++) {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const u = rng.next();
        values[i] = mode === 0 ? u : mode === 1 ? Math.fround((u - 0.5) * 1000) : mode === 2 ? specials[rng.int(0, specials.length - 1)]! : Math.round(u * 4) / 4;
      }
      // Float64Sorter on a range in the middle of a larger buffer.
      const buf = new Float64Array(n + 10).fill(42);
      buf.set(values, 5);
      new Float64Sorter(3).sortRange(buf, new Uint32Array(buf.buffer), 5, n);
      assert.deepEqual(
        Array.from(buf.subarray(5, 5 + n)),
        Array.from(values).sort((a, b) => a - b),
        `float64 n=${n} mode=${mode}`,
      );
      assert.deepEqual(Array.from(buf.subarray(0, 5)).concat(Array.from(buf.subarray(5 + n))), new Array(10).fill(42), 'outside the range untouched');
      // sortUint32Range on float32 keys.
      const keys = new Uint32Array(n + 4).fill(7);
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      for (let i = 0; i < n; i++) {
        f[0] = values[i]!;
        keys[2 + i] = (u[0]! ^ ((u[0]! >> 31) | 0x80000000)) >>> 0;
      }
      const expected = Array.from(keys.subarray(2, 2 + n)).sort((a, b) => a - b);
      sortUint32Range(keys, 2, n, new Uint32Array(n));
      assert.deepEqual(Array.from(keys.subarray(2, 2 + n)), expected, `uint32 n=${n} mode=${mode}`);
      assert.deepEqual([keys[0], keys[1], keys[n + 2], keys[n + 3]], [7, 7, 7, 7]);
    }
  }
});

test('a single class (or no samples) is skipped: null, not a number', () => {
  assert.equal(rocAuc([0, 0, 0], [0.1, 0.2, 0.3]), null);
  assert.equal(averagePrecision([1, 1], [0.1, 0.2]), null);
  assert.equal(rocAuc([], []), null);
  const e = evaluateTasks(new Float32Array([0, 1, 0, 1]), new Float32Array([0.1, 0.2, 0.3, 0.4]), 2, ['neg', 'pos']);
  assert.deepEqual(e, {
    tasks: [
      { task: 'neg', rocAuc: null, prAuc: null, positives: 0, negatives: 2 },
      { task: 'pos', rocAuc: null, prAuc: null, positives: 2, negatives: 0 },
    ],
    meanRocAuc: null,
    meanPrAuc: null,
    skippedTasks: ['neg', 'pos'],
  });
  assert.equal(evaluateTasks([1, 0], [0.9, 0.1], 1).tasks[0]!.task, 'task0', 'default task names');
});

test('NaN scores, labels other than 0/1 and bad shapes throw a MetricsInputError that says where', () => {
  const throwsWith = (fn: () => unknown, code: string, message: RegExp) =>
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof MetricsInputError, String(err));
      assert.equal(err.code, code);
      assert.match(err.message, message);
      return true;
    });
  throwsWith(() => rocAuc([0, 1, 0], [0.1, NaN, 0.3]), 'nan-score', /NaN at sample 1/);
  throwsWith(() => averagePrecision([0, 1, 0], new Float32Array([0.1, 0.2, NaN])), 'nan-score', /NaN at sample 2/);
  throwsWith(() => evaluateTasks([0, 1, 1, 0], [0.1, 0.2, NaN, 0.4], 2, ['a', 'b']), 'nan-score', /NaN at sample 1 of task 'a'/);
  throwsWith(() => evaluateTasks(new Float32Array([0, 1, 1, 0]), new Float32Array([0.1, 0.2, 0.3, NaN]), 2), 'nan-score', /sample 1 of task 'task1'/);
  throwsWith(() => rocAuc([0, 2, 1], [0.1, 0.2, 0.3]), 'bad-label', /label must be 0 or 1, got 2 at sample 1/);
  throwsWith(() => rocAuc([0, 0.5, 1], [0.1, 0.2, 0.3]), 'bad-label', /got 0.5/);
  throwsWith(() => rocAuc([0, NaN, 1], [0.1, 0.2, 0.3]), 'bad-label', /got NaN/);
  throwsWith(() => rocAuc([0, 1], [0.1]), 'shape', /differ in length: 2 vs 1/);
  throwsWith(() => evaluateTasks([0, 1, 0], [0.1, 0.2, 0.3], 2), 'shape', /not a multiple of numTasks 2/);
  throwsWith(() => evaluateTasks([0, 1], [0.1, 0.2], 0), 'shape', /positive integer/);
  throwsWith(() => evaluateTasks([0, 1], [0.1, 0.2], 1, ['a', 'b']), 'shape', /2 task names for 1 tasks/);
});

test('919 tasks x 10,000 samples (DeepSEA-sized validation): every task evaluated', () => {
  const T = 919;
  const n = 10_000;
  const rng = new Rng(5);
  const labels = new Float32Array(T * n);
  const scores = new Float32Array(T * n);
  for (let i = 0; i < labels.length; i++) {
    const y = rng.next() < 0.04 ? 1 : 0;
    labels[i] = y;
    scores[i] = 1 / (1 + Math.exp(-(2 * y - 3 + 4 * rng.next())));
  }
  const e = evaluateTasks(labels, scores, T);
  assert.equal(e.tasks.length, T);
  assert.ok(e.meanRocAuc! > 0.8 && e.meanRocAuc! < 1, `mean ROC AUC ${e.meanRocAuc}`);
  assert.equal(e.skippedTasks.length, 0, 'every task has both classes');
});
