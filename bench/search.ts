/**
 * Search quality, pure simulation (no training), in four parts (BENCH_PARTS=regret,importance,
 * multi,warm picks some; all by default):
 *
 * - regret: danq-sweep's TPE (sequential and with 4 trials in flight) against danq-sweep's random
 *   search and Optuna's TPESampler (defaults, seeded) on the objectives of
 *   bench/search-objectives.ts (ported exactly in bench/search_optuna.py), 20 seeds. Prints, per
 *   objective and budget (30, 60, 100 trials), the median and interquartile range of the best
 *   regret |optimum - best found|. With 4 in flight, 4 trials run at once and the oldest finishes
 *   first, on both sides.
 * - importance: PED-ANOVA and fANOVA, ours against Optuna's, on 10,000 trials (bench/search-importance.ts).
 * - multi: hypervolume of multi-objective TPE, ours against Optuna's (bench/search-multi-objective.ts).
 * - warm: trials a warm-started sweep needs to reach an earlier sweep's best (bench/search-warm-start.ts).
 *
 *   npm run bench:search                 (creates .bench-venv with optuna and scikit-learn on first use)
 *   BENCH_SEEDS=5 npm run bench:search   (fewer seeds)
 *   BENCH_OPTUNA=0 npm run bench:search  (danq-sweep only)
 */
import { execFileSync } from 'node:child_process';
import { table } from '../src/cli/report.js';
import { strategySetupOf } from '../src/sweep-spec/plan.js';
import { BUDGETS, MAX_BUDGET, SEEDS, benchPython, medianIqr, root, runStrategy, specFor, withOptuna } from './search-common.js';
import { importanceBench } from './search-importance.js';
import { multiObjectiveBench } from './search-multi-objective.js';
import { objectives, type BenchObjective } from './search-objectives.js';
import { warmStartBench } from './search-warm-start.js';

const PARTS = (process.env.BENCH_PARTS ?? 'regret,importance,multi,warm').split(',');

/** Best-so-far regret after each trial of one sweep (NaN until a trial succeeds). */
function regretCurve(objective: BenchObjective, strategy: Record<string, unknown>, seed: number, concurrency: number): number[] {
  const curve: number[] = [];
  let best: number | undefined;
  const better = (a: number, b: number) => (objective.mode === 'max' ? a > b : a < b);
  const evaluate = (params: Parameters<BenchObjective['evaluate']>[0]) => {
    const value = objective.evaluate(params);
    return value === null ? null : { value };
  };
  runStrategy(strategySetupOf(specFor(objective.space, objective.mode, strategy, seed)), evaluate, concurrency, (_, outcome) => {
    if (outcome !== null && (best === undefined || better(outcome.value, best))) best = outcome.value;
    curve.push(best === undefined ? NaN : Math.abs(objective.optimum - best));
  });
  return curve;
}

function optunaCurves(): Record<string, Record<string, number[][]>> | undefined {
  if (!withOptuna) return undefined;
  const python = benchPython();
  const version = execFileSync(python, ['-c', 'import optuna; print(optuna.__version__)'], { encoding: 'utf8' }).trim();
  console.error(`running Optuna ${version} TPESampler (${SEEDS.length} seeds x ${objectives.length} objectives x 2 schedules)...`);
  const out = execFileSync(python, [`${root}bench/search_optuna.py`, JSON.stringify({ budget: MAX_BUDGET, seeds: SEEDS, concurrency: [1, 4] })], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(out, (_key: string, v: unknown) => (v === null ? NaN : v)) as Record<string, Record<string, number[][]>>;
}

/** Median [Q1, Q3] of the regret after `budget` trials; a seed that found nothing counts as infinite. */
function summary(curves: number[][], budget: number): { median: number; text: string } {
  const regrets = curves.map((c) => (Number.isFinite(c[budget - 1]) ? c[budget - 1]! : Infinity));
  return medianIqr(regrets, (x) => (x < 1e-3 ? x.toExponential(1) : x.toPrecision(2)));
}

function regretBench(): void {
  const started = Date.now();
  const danq: Record<string, Record<string, number[][]>> = {};
  for (const objective of objectives) {
    const seeds = (strategy: Record<string, unknown>, concurrency: number) => SEEDS.map((seed) => regretCurve(objective, strategy, seed, concurrency));
    danq[objective.name] = {
      random: seeds({ type: 'random' }, 1),
      tpe: seeds({ type: 'tpe' }, 1),
      'tpe x4': seeds({ type: 'tpe' }, 4),
      'tpe univariate': seeds({ type: 'tpe', multivariate: false }, 1),
    };
  }
  const danqSeconds = (Date.now() - started) / 1000;
  const optuna = optunaCurves();

  const columns = ['random', 'tpe', 'optuna tpe', 'tpe x4', 'optuna tpe x4', 'tpe univariate'];
  const rows: string[][] = [];
  for (const objective of objectives) {
    const curves: Record<string, number[][] | undefined> = {
      ...danq[objective.name],
      'optuna tpe': optuna?.[objective.name]?.['1'],
      'optuna tpe x4': optuna?.[objective.name]?.['4'],
    };
    for (const budget of BUDGETS) {
      const cells = columns.map((c) => (curves[c] ? summary(curves[c], budget).text : '-'));
      const ratio = summary(curves['tpe x4']!, budget).median / summary(curves.tpe!, budget).median;
      rows.push([objective.name, String(budget), ...cells, Number.isFinite(ratio) ? ratio.toFixed(2) : '-']);
    }
  }
  console.log(`Best regret |optimum - best|, median [Q1, Q3] over ${SEEDS.length} seeds (lower is better); x4 = 4 trials in flight`);
  console.log(table(['objective', 'trials', ...columns, 'x4/seq'], rows));
  console.log(`danq-sweep strategies: ${danqSeconds.toFixed(1)} s for ${objectives.length * SEEDS.length * 4} sweeps of ${MAX_BUDGET} trials`);
}

if (PARTS.includes('regret')) regretBench();
if (PARTS.includes('importance')) importanceBench();
if (PARTS.includes('multi')) multiObjectiveBench();
if (PARTS.includes('warm')) warmStartBench();
