/**
 * `npm run bench:search` part "multi": hypervolume after 30/60/100 trials over 20 seeds, danq-sweep's
 * multi-objective TPE against Optuna 5's (TPESampler, defaults, on a multi-objective study), one
 * trial at a time, on two-objective test problems (ZDT1, ZDT2 and DTLZ2 on 5 variables, both
 * objectives minimised) and on bench/danq-lite-table.json: real DanQ-lite trainings over a
 * 144-point grid (val AUC max, parameter count min), looked up instead of trained. Both sides
 * also run the other TPE flavour: danq-sweep's TPE is multivariate by default, Optuna 5's
 * multi-objective TPE univariate (TPESampler._is_multivariate), so the table shows each default
 * against the other's and like against like.
 *
 * Hypervolumes are Optuna's (optuna._hypervolume.compute_hypervolume, bench/search_multi_objective_optuna.py)
 * for both sides, with a fixed reference point per problem; ours (src/strategy/pareto.ts) are
 * checked against them on every run. Goal: no worse than Optuna at every budget, read as: our mean
 * is at least Optuna's minus twice the standard error of the difference of the means.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { table } from '../src/cli/report.js';
import type { Objective, Params, TrialMetrics } from '../src/strategy/index.js';
import { hypervolume } from '../src/strategy/pareto.js';
import { strategySetupOf } from '../src/sweep-spec/plan.js';
import { loadDanqLiteTable, tableLookup } from './danq-lite-table.js';
import { BUDGETS, MAX_BUDGET, SEEDS, benchPython, root, runStrategy, specFor, withOptuna } from './search-common.js';

interface MultiObjectiveProblem {
  name: string;
  kind: 'zdt1' | 'zdt2' | 'dtlz2' | 'table';
  /** The spec's `space` JSON. */
  space: Record<string, unknown>;
  /** What danq-sweep's sampler optimises, in the order of `values`. */
  objectives: Objective[];
  /** The objective values of a trial; null when it failed. */
  evaluate(params: Params): number[] | null;
  /** The trial's metrics carrying `values` where `objectives` read them. */
  metricsOf(values: number[]): TrialMetrics;
  /** Values as losses for the hypervolume (the same transform in the Python). */
  lossesOf(values: number[]): number[];
  reference: number[];
  /** Only for kind 'table', for the Python. */
  table?: unknown;
  maxParamCount?: number;
}

const VARIABLES = 5;
const unitCube = Object.fromEntries(Array.from({ length: VARIABLES }, (_, i) => [`x${i + 1}`, { uniform: [0, 1] }]));
const xs = (params: Params) => Array.from({ length: VARIABLES }, (_, i) => params[`x${i + 1}`] as number);
const zdtG = (x: number[]) => 1 + (9 * x.slice(1).reduce((a, b) => a + b, 0)) / (x.length - 1);

/** The strategies read objectives from named metrics: two minimised ones carry f1 and f2 of a test problem. */
const testObjectives: Objective[] = [
  { metric: 'val_loss', mode: 'min' },
  { metric: 'train_seconds', mode: 'min' },
];
const testMetrics = ([f1, f2]: number[]): TrialMetrics => ({ valAuc: null, valPrAuc: null, valLoss: f1!, params: 0, inferenceMsPer1k: null, trainSeconds: f2! });

function testProblem(name: string, kind: 'zdt1' | 'zdt2' | 'dtlz2', f: (x: number[]) => number[], reference: number[]): MultiObjectiveProblem {
  return { name, kind, space: unitCube, objectives: testObjectives, evaluate: (params) => f(xs(params)), metricsOf: testMetrics, lossesOf: (v) => v, reference };
}

/** 10% beyond the largest value each objective can take (ZDT: f1 <= 1, f2 <= g <= 10; DTLZ2: f <= 1 + g <= 2), so every trial counts. */
const ZDT_REFERENCE = [1.1, 11];
const DTLZ2_REFERENCE = [2.2, 2.2];

const testProblems = [
  testProblem('zdt1 (5 vars)', 'zdt1', (x) => [x[0]!, zdtG(x) * (1 - Math.sqrt(x[0]! / zdtG(x)))], ZDT_REFERENCE),
  testProblem('zdt2 (5 vars)', 'zdt2', (x) => [x[0]!, zdtG(x) * (1 - (x[0]! / zdtG(x)) ** 2)], ZDT_REFERENCE),
  testProblem(
    'dtlz2 (5 vars)',
    'dtlz2',
    (x) => {
      const g = x.slice(1).reduce((sum, xi) => sum + (xi - 0.5) ** 2, 0);
      return [(1 + g) * Math.cos((x[0]! * Math.PI) / 2), (1 + g) * Math.sin((x[0]! * Math.PI) / 2)];
    },
    DTLZ2_REFERENCE,
  ),
];

function danqLiteProblem(): MultiObjectiveProblem {
  const danqTable = loadDanqLiteTable();
  const lookup = tableLookup(danqTable);
  const maxParamCount = Math.max(...danqTable.rows.map((r) => r.paramCount ?? 0));
  return {
    name: `danq-lite table (${danqTable.rows.length} real trainings)`,
    kind: 'table',
    space: danqTable.spec.space,
    objectives: [
      { metric: 'val_auc', mode: 'max' },
      { metric: 'params', mode: 'min' },
    ],
    evaluate(params) {
      const row = lookup(params);
      return row.valAuc === null || row.paramCount === null ? null : [row.valAuc, row.paramCount];
    },
    metricsOf: ([valAuc, params]) => ({ valAuc: valAuc!, valPrAuc: null, valLoss: null, params: params!, inferenceMsPer1k: null, trainSeconds: null }),
    // 1 - AUC and the share of the largest model: reference AUC 0.5 (chance) and 1.1 x the largest model.
    lossesOf: ([valAuc, params]) => [1 - valAuc!, params! / maxParamCount],
    reference: [0.5, 1.1],
    table: danqTable.rows,
    maxParamCount,
  };
}

const SAMPLERS: Record<string, Record<string, unknown>> = { tpe: { type: 'tpe' }, 'tpe univariate': { type: 'tpe', multivariate: false } };

/** Each trial's objective values in report order (null = failed), one sweep. */
function history(problem: MultiObjectiveProblem, strategy: Record<string, unknown>, seed: number): (number[] | null)[] {
  const setup = strategySetupOf(specFor(problem.space, 'max', strategy, seed, { objectives: problem.objectives }));
  const out: (number[] | null)[] = [];
  const evaluate = (params: Params) => {
    const values = problem.evaluate(params);
    return values === null ? null : { value: values[0]!, metrics: problem.metricsOf(values) };
  };
  runStrategy(setup, evaluate, 1, (params) => out.push(problem.evaluate(params)));
  return out;
}

function ourHypervolumes(problem: MultiObjectiveProblem, trials: readonly (number[] | null)[]): number[] {
  return BUDGETS.map((budget) => {
    const points = trials.slice(0, budget).flatMap((v) => (v === null ? [] : [problem.lossesOf(v)]));
    return hypervolume(points, problem.reference);
  });
}

function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, sd: Math.sqrt(variance) };
}

type OptunaResult = Record<string, { optuna: Record<'tpe' | 'tpe multivariate', number[][]>; ours: Record<string, number[][]> }>;

function optunaRun(problems: readonly MultiObjectiveProblem[], ours: Record<string, Record<string, (number[] | null)[][]>>): OptunaResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-multi-'));
  try {
    const input = {
      budgets: BUDGETS,
      seeds: SEEDS,
      problems: problems.map((p) => ({
        name: p.name,
        kind: p.kind,
        space: p.space,
        directions: p.objectives.map((o) => (o.mode === 'max' ? 'maximize' : 'minimize')),
        reference: p.reference,
        ...(p.table !== undefined && { table: p.table, maxParamCount: p.maxParamCount }),
      })),
      ours,
    };
    writeFileSync(path.join(dir, 'input.json'), JSON.stringify(input));
    console.error(`running Optuna's multi-objective TPESampler (${SEEDS.length} seeds x ${problems.length} problems x ${MAX_BUDGET} trials)...`);
    return JSON.parse(
      execFileSync(benchPython(), [`${root}bench/search_multi_objective_optuna.py`, path.join(dir, 'input.json')], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] }),
    ) as OptunaResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function multiObjectiveBench(): void {
  const problems = [...testProblems, danqLiteProblem()];
  const started = Date.now();
  const ours: Record<string, Record<string, (number[] | null)[][]>> = {};
  for (const problem of problems) {
    ours[problem.name] = Object.fromEntries(Object.entries(SAMPLERS).map(([name, strategy]) => [name, SEEDS.map((seed) => history(problem, strategy, seed))]));
  }
  const oursSeconds = (Date.now() - started) / 1000;
  const theirs = withOptuna ? optunaRun(problems, ours) : undefined;

  const fmt = ({ mean, sd }: { mean: number; sd: number }) => `${mean.toFixed(4)} ± ${sd.toFixed(4)}`;
  const rows: string[][] = [];
  let largestDiff = 0;
  let verdicts = 0;
  let noWorse = 0;
  for (const problem of problems) {
    const ourHvs = Object.fromEntries(Object.entries(ours[problem.name]!).map(([sampler, runs]) => [sampler, runs.map((trials) => ourHypervolumes(problem, trials))]));
    const result = theirs?.[problem.name];
    if (result) {
      for (const sampler of Object.keys(SAMPLERS)) {
        result.ours[sampler]!.forEach((hvs, seed) => hvs.forEach((hv, b) => (largestDiff = Math.max(largestDiff, Math.abs(hv - ourHvs[sampler]![seed]![b]!)))));
      }
    }
    BUDGETS.forEach((budget, b) => {
      const at = (runs: number[][]) => meanSd(runs.map((hvs) => hvs[b]!));
      const tpe = at(ourHvs.tpe!);
      const cells = [fmt(tpe), fmt(at(ourHvs['tpe univariate']!))];
      let verdict = '-';
      if (result) {
        const optuna = at(result.optuna.tpe);
        const standardError = Math.sqrt((tpe.sd ** 2 + optuna.sd ** 2) / SEEDS.length);
        const ok = tpe.mean >= optuna.mean - 2 * standardError;
        verdict = `${ok ? 'yes' : 'NO'} (${tpe.mean - optuna.mean >= 0 ? '+' : ''}${(tpe.mean - optuna.mean).toFixed(4)})`;
        cells.push(fmt(optuna), fmt(at(result.optuna['tpe multivariate'])));
        verdicts++;
        if (ok) noWorse++;
      } else {
        cells.push('-', '-');
      }
      rows.push([problem.name, problem.reference.join(', '), String(budget), ...cells, verdict]);
    });
  }
  console.log(`\nMulti-objective: hypervolume (higher is better), mean ± sd over ${SEEDS.length} seeds, one trial at a time; reference point per problem in losses`);
  console.log('(zdt/dtlz2: (f1, f2); danq-lite: (1 - val AUC, params / largest model)). danq-lite is a lookup table of real trainings (bench/danq-lite-table.json), not trained here.');
  console.log(
    table(
      [
        'problem',
        'reference',
        'trials',
        'danq-sweep tpe (default: multivariate)',
        'danq-sweep tpe univariate',
        'optuna 5 tpe (default: univariate)',
        'optuna 5 tpe multivariate',
        'defaults: ours no worse (diff of means)',
      ],
      rows,
    ),
  );
  if (theirs) console.log(`No worse than Optuna at ${noWorse} of ${verdicts} (problem, budget) cells; our hypervolume against Optuna's on our trials: largest |diff| ${largestDiff.toExponential(1)}`);
  console.log(`danq-sweep samplers: ${oursSeconds.toFixed(1)} s for ${problems.length * SEEDS.length * Object.keys(SAMPLERS).length} sweeps of ${MAX_BUDGET} trials`);
}
