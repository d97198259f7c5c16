/**
 * What the parts of `npm run bench:search` share: budgets and seeds, the bench's Python, a sweep
 * spec for a benchmark space, a sweep run through the real Strategy, and quantile summaries.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sweepStrategy, type Params, type StrategyState, type TrialMetrics } from '../src/strategy/index.js';
import type { StrategySetup } from '../src/strategy/types.js';
import type { SweepSpec } from '../src/sweep-spec/types.js';

export const BUDGETS = [30, 60, 100];
export const MAX_BUDGET = Math.max(...BUDGETS);
export const SEEDS = Array.from({ length: Number(process.env.BENCH_SEEDS ?? 20) }, (_, i) => i + 1);
export const root = fileURLToPath(new URL('..', import.meta.url));
export const withOptuna = process.env.BENCH_OPTUNA !== '0';

/** A spec as the workflow sees it, for a space whose keys need not be variant fields (the strategies never resolve variants). */
export function specFor(space: Record<string, unknown>, mode: 'max' | 'min', strategy: Record<string, unknown>, seed: number, extra: Partial<SweepSpec> = {}): SweepSpec {
  return {
    name: 'bench',
    space,
    strategy: { trials: MAX_BUDGET, seed, ...strategy },
    training: { epochs: 1, seed },
    objective: { metric: 'val_auc', mode },
    model: {},
    maxConcurrentTrials: 1,
    ...extra,
  } as unknown as SweepSpec;
}

/** A trial's result as a benchmark reports it: the single objective's value, and for several objectives or constraints its metrics; null = failed. */
export type BenchOutcome = { value: number; metrics?: TrialMetrics } | null;

/**
 * Runs one sweep through the real Strategy: `concurrency` in flight, the oldest reported first.
 * Calls `onTrial` with each reported trial in report order; stops at `budget` trials or when the
 * strategy is done.
 */
export function runStrategy(setup: StrategySetup, evaluate: (params: Params) => BenchOutcome, concurrency: number, onTrial: (params: Params, outcome: BenchOutcome) => void): void {
  let state: StrategyState = sweepStrategy.initial(setup);
  const inFlight: { trial: number; params: Params; outcome: BenchOutcome }[] = [];
  for (;;) {
    while (inFlight.length < concurrency) {
      const next = sweepStrategy.next(state);
      state = next.state;
      if (next.decision.kind !== 'start') break;
      const { trial, params } = next.decision;
      inFlight.push({ trial, params, outcome: evaluate(params) });
    }
    const run = inFlight.shift();
    if (run === undefined) return;
    const { outcome } = run;
    state = sweepStrategy.report(
      state,
      outcome === null
        ? { trial: run.trial, status: 'failed', epochsTrained: 0, objectiveByEpoch: [] }
        : { trial: run.trial, status: 'completed', epochsTrained: 1, objectiveByEpoch: [outcome.value], ...(outcome.metrics && { metrics: outcome.metrics }) },
    );
    onTrial(run.params, outcome);
  }
}

/** The bench's venv with Optuna and scikit-learn (fANOVA's forest), created on first use. */
export function benchPython(): string {
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

export function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  // Infinity - Infinity is NaN: an interval between two infinite entries is infinite.
  return sorted[lo] === sorted[hi] ? sorted[lo]! : sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** "median [Q1, Q3]" of `values` (infinite entries sort last and print as 'inf'). */
export function medianIqr(values: readonly number[], format: (x: number) => string): { median: number; text: string } {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (x: number) => (x === Infinity ? 'inf' : format(x));
  const median = quantile(sorted, 0.5);
  return { median, text: `${f(median)} [${f(quantile(sorted, 0.25))}, ${f(quantile(sorted, 0.75))}]` };
}
