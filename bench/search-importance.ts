/**
 * `npm run bench:search` part "importance": on 10,000 random trials (BENCH_IMPORTANCE_TRIALS) of
 * the danq-auc and conv-mix objectives, PED-ANOVA's and fANOVA's seconds and values, ours
 * (paramImportances) against Optuna's get_param_importances (bench/importance_optuna.py) on the
 * same trials. BENCH_FANOVA_TRIALS caps fANOVA to the first N trials (0: no fANOVA): its per-tree
 * marginals grow faster than linearly with the trials on both sides (250 -> 500 trials: 2.4x our
 * seconds, 2.1x Optuna's, on a busy machine); ours took 253 s and 37 s on the
 * two objectives' 10,000 trials there (peak RSS 520 MB), Optuna 5.6x and 3.3x ours at 500. The
 * trials go to Python through a temporary file, never argv.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { table } from '../src/cli/report.js';
import { paramImportances, type ImportanceMethod, type Importances, type ObservedTrial } from '../src/importance/index.js';
import { Rng } from '../src/rng.js';
import { samplePoint, type SearchSpace } from '../src/strategy/space.js';
import { searchSpaceOf } from '../src/sweep-spec/plan.js';
import { benchPython, root, specFor, withOptuna } from './search-common.js';
import { objectives, type BenchObjective } from './search-objectives.js';

interface ImportanceCase {
  name: string;
  direction: 'maximize' | 'minimize';
  space: SearchSpace;
  trials: ObservedTrial[];
  fanovaTrials: number;
}

type MethodRuns = Partial<Record<ImportanceMethod, { seconds: number; importances: Importances }>>;

/** `n` random trials of the objective (seeded), the failed ones (no value) left out as a sweep's would be. */
function importanceCase(objective: BenchObjective, n: number, fanovaTrials: number): ImportanceCase {
  const space = searchSpaceOf(specFor(objective.space, objective.mode, { type: 'random' }, 1));
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

function optunaImportances(cases: readonly ImportanceCase[]): Record<string, MethodRuns> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-importance-'));
  try {
    writeFileSync(path.join(dir, 'trials.json'), JSON.stringify({ cases }));
    console.error(`running Optuna's get_param_importances on ${cases[0]!.trials.length} trials (fANOVA on ${cases[0]!.fanovaTrials})...`);
    return JSON.parse(execFileSync(benchPython(), [`${root}bench/importance_optuna.py`, path.join(dir, 'trials.json')], { encoding: 'utf8', maxBuffer: 1 << 26 })) as Record<string, MethodRuns>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function importanceBench(): void {
  const n = Number(process.env.BENCH_IMPORTANCE_TRIALS ?? 10_000);
  const fanovaTrials = Number(process.env.BENCH_FANOVA_TRIALS ?? n);
  const cases = [objectives[0]!, objectives[2]!].map((o) => importanceCase(o, n, fanovaTrials));
  const methods = fanovaTrials > 0 ? (['ped-anova', 'fanova'] as const) : (['ped-anova'] as const);
  const ours = cases.map((c): MethodRuns => Object.fromEntries(methods.map((method) => [method, timedImportances(c, method)])));
  const theirs = withOptuna ? optunaImportances(cases) : undefined;
  const timeRows: string[][] = [];
  const valueRows: string[][] = [];
  cases.forEach((c, i) => {
    for (const method of methods) {
      const ourRun = ours[i]![method]!;
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
