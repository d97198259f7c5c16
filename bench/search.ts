/**
 * Search quality, pure simulation (no training): danq-sweep's TPE (sequential and with 4 trials in
 * flight) against danq-sweep's random search and Optuna's TPESampler (defaults, seeded) on the
 * objectives of bench/search-objectives.ts (ported exactly in bench/search_optuna.py), 20 seeds.
 * Prints, per objective and budget (30, 60, 100 trials), the median and interquartile range of the
 * best regret |optimum - best found|.
 *   npm run bench:search                 (creates .bench-venv with pip install optuna on first use)
 *   BENCH_SEEDS=5 npm run bench:search   (fewer seeds)
 *   BENCH_OPTUNA=0 npm run bench:search  (danq-sweep only)
 * With 4 in flight, 4 trials run at once and the oldest finishes first, on both sides.
 *
 * Then parameter importance (BENCH_IMPORTANCE=0 skips it): on 10,000 random trials of the danq-auc
 * and conv-mix objectives (BENCH_IMPORTANCE_TRIALS), PED-ANOVA's time and values, ours against
 * Optuna's get_param_importances (bench/importance_optuna.py); fANOVA on the first 1,000 of them
 * (BENCH_FANOVA_TRIALS), as its per-tree marginals grow with the square of the trials on both sides.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from '../src/cli/report.js';
import { paramImportances, type ImportanceMethod, type Importances, type ObservedTrial } from '../src/importance/index.js';
import { Rng } from '../src/rng.js';
import { samplePoint, type SearchSpace } from '../src/strategy/space.js';
import { searchSpaceOf, strategySetupOf } from '../src/sweep-spec/plan.js';
import type { SweepSpec } from '../src/sweep-spec/types.js';
import { sweepStrategy, type StrategyState } from '../src/strategy/index.js';
import { objectives, type BenchObjective } from './search-objectives.js';

const BUDGETS = [30, 60, 100];
const MAX_BUDGET = Math.max(...BUDGETS);
const SEEDS = Array.from({ length: Number(process.env.BENCH_SEEDS ?? 20) }, (_, i) => i + 1);
const root = fileURLToPath(new URL('..', import.meta.url));

/** A spec as the workflow sees it, for a space whose keys need not be variant fields (the strategies never resolve variants). */
function specFor(objective: BenchObjective, strategy: Record<string, unknown>, seed: number): SweepSpec {
  return {
    name: 'bench',
    space: objective.space,
    strategy: { trials: MAX_BUDGET, seed, ...strategy },
    training: { epochs: 1, seed },
    objective: { metric: 'val_auc', mode: objective.mode },
    model: {},
    maxConcurrentTrials: 1,
  } as unknown as SweepSpec;
}

/** Runs one sweep through the real Strategy: `concurrency` in flight, the oldest reported first. */
function runStrategy(objective: BenchObjective, spec: SweepSpec, concurrency: number): number[] {
  let state: StrategyState = sweepStrategy.initial(strategySetupOf(spec));
  const inFlight: { trial: number; value: number | null }[] = [];
  const curve: number[] = [];
  let best: number | undefined;
  for (;;) {
    while (inFlight.length < concurrency) {
      const next = sweepStrategy.next(state);
      state = next.state;
      if (next.decision.kind !== 'start') break;
      const trial = next.decision.trial;
      inFlight.push({ trial, value: objective.evaluate(next.decision.params) });
    }
    const run = inFlight.shift();
    if (run === undefined) return curve;
    const failed = run.value === null;
    state = sweepStrategy.report(state, { trial: run.trial, status: failed ? 'failed' : 'completed', epochsTrained: failed ? 0 : 1, objectiveByEpoch: failed ? [] : [run.value!] });
    if (!failed && (best === undefined || (objective.mode === 'max' ? run.value! > best : run.value! < best))) best = run.value!;
    curve.push(best === undefined ? NaN : Math.abs(objective.optimum - best));
  }
}

/** The bench's venv with Optuna and scikit-learn (fANOVA's forest), created on first use. */
function benchPython(): string {
  const python = `${root}.bench-venv/bin/python`;
  if (!existsSync(python)) {
    console.error('creating .bench-venv with optuna (pip)...');
    execFileSync('python3', ['-m', 'venv', `${root}.bench-venv`], { stdio: 'inherit' });
  }
  try {
    execFileSync(python, ['-c', 'import optuna, sklearn'], { stdio: 'ignore' });
  } catch {
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', 'optuna', 'scikit-learn'], { stdio: 'inherit' });
  }
  return python;
}

function optunaCurves(): Record<string, Record<string, number[][]>> | undefined {
  if (process.env.BENCH_OPTUNA === '0') return undefined;
  const python = benchPython();
  const version = execFileSync(python, ['-c', 'import optuna; print(optuna.__version__)'], { encoding: 'utf8' }).trim();
  console.error(`running Optuna ${version} TPESampler (${SEEDS.length} seeds x ${objectives.length} objectives x 2 schedules)...`);
  const out = execFileSync(python, [`${root}bench/search_optuna.py`, JSON.stringify({ budget: MAX_BUDGET, seeds: SEEDS, concurrency: [1, 4] })], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(out, (_key: string, v: unknown) => (v === null ? NaN : v)) as Record<string, Record<string, number[][]>>;
}

function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (at - lo);
}

/** Median [Q1, Q3] of the regret after `budget` trials; a seed that found nothing counts as infinite. */
function summary(curves: number[][], budget: number): { median: number; text: string } {
  const regrets = curves.map((c) => (Number.isFinite(c[budget - 1]) ? c[budget - 1]! : Infinity)).sort((a, b) => a - b);
  const f = (x: number) => (x === Infinity ? 'inf' : x < 1e-3 ? x.toExponential(1) : x.toPrecision(2));
  const median = quantile(regrets, 0.5);
  return { median, text: `${f(median)} [${f(quantile(regrets, 0.25))}, ${f(quantile(regrets, 0.75))}]` };
}

const started = Date.now();
const danq: Record<string, Record<string, number[][]>> = {};
for (const objective of objectives) {
  const seeds = (strategy: Record<string, unknown>, concurrency: number) => SEEDS.map((seed) => runStrategy(objective, specFor(objective, strategy, seed), concurrency));
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

// ---- parameter importance ------------------------------------------------------------------------

interface ImportanceCase {
  name: string;
  direction: 'maximize' | 'minimize';
  space: SearchSpace;
  trials: ObservedTrial[];
  fanovaTrials: number;
}

/** `n` random trials of the objective (seeded), the failed ones (no value) left out as a sweep's would be. */
function importanceCase(objective: BenchObjective, n: number, fanovaTrials: number): ImportanceCase {
  const space = searchSpaceOf(specFor(objective, { type: 'random' }, 1));
  const rng = new Rng(7);
  const trials: ObservedTrial[] = [];
  while (trials.length < n) {
    const params = samplePoint(space, rng);
    const value = objective.evaluate(params);
    if (value !== null) trials.push({ params, value });
  }
  return { name: objective.name, direction: objective.mode === 'max' ? 'maximize' : 'minimize', space, trials, fanovaTrials: Math.min(fanovaTrials, n) };
}

function timedImportances(c: ImportanceCase, method: ImportanceMethod): { seconds: number; importances: Importances } {
  const trials = method === 'fanova' ? c.trials.slice(0, c.fanovaTrials) : c.trials;
  const started = process.hrtime.bigint();
  const importances = paramImportances({ space: c.space, trials, direction: c.direction }, method);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, importances };
}

if (process.env.BENCH_IMPORTANCE !== '0') {
  const n = Number(process.env.BENCH_IMPORTANCE_TRIALS ?? 10_000);
  const fanovaTrials = Number(process.env.BENCH_FANOVA_TRIALS ?? 1_000);
  const cases = [objectives[0]!, objectives[2]!].map((o) => importanceCase(o, n, fanovaTrials));
  const ours = cases.map((c) => ({ 'ped-anova': timedImportances(c, 'ped-anova'), fanova: timedImportances(c, 'fanova') }));
  let theirs: Record<string, Record<ImportanceMethod, { seconds: number; importances: Importances }>> | undefined;
  if (process.env.BENCH_OPTUNA !== '0') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-importance-'));
    try {
      writeFileSync(path.join(dir, 'trials.json'), JSON.stringify({ cases }));
      console.error(`running Optuna's get_param_importances on ${n} trials (fANOVA on ${fanovaTrials})...`);
      theirs = JSON.parse(execFileSync(benchPython(), [`${root}bench/importance_optuna.py`, path.join(dir, 'trials.json')], { encoding: 'utf8', maxBuffer: 1 << 26 })) as typeof theirs;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const timeRows: string[][] = [];
  const valueRows: string[][] = [];
  cases.forEach((c, i) => {
    for (const method of ['ped-anova', 'fanova'] as const) {
      const ourRun = ours[i]![method];
      const optunaRun = theirs?.[c.name]?.[method];
      const trials = method === 'fanova' ? c.fanovaTrials : c.trials.length;
      timeRows.push([c.name, method, String(trials), ourRun.seconds.toFixed(3), optunaRun ? optunaRun.seconds.toFixed(3) : '-']);
      for (const [param, value] of Object.entries(ourRun.importances)) {
        const other = optunaRun?.importances[param];
        valueRows.push([c.name, method, param, value.toFixed(4), other === undefined ? '-' : other.toFixed(4), other === undefined ? '-' : Math.abs(value - other).toExponential(1)]);
      }
    }
  });
  console.log('\nParameter importance: seconds for get_param_importances (ours: paramImportances), same trials');
  console.log(table(['objective', 'method', 'trials', 'danq-sweep s', 'optuna s'], timeRows));
  console.log("\nImportances side by side (fANOVA: seeded forests, ours from another generator than scikit-learn's)");
  console.log(table(['objective', 'method', 'parameter', 'danq-sweep', 'optuna', '|diff|'], valueRows));
}
