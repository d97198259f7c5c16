/**
 * Orchestration overhead per trial (issue 10), not a test: N tiny random-search trials (seqLen 50,
 * one epoch, a few hundred samples) through the real CLI (`sweep worker` + `sweep start`) on a
 * Temporal dev server and PostgreSQL started here, at concurrency 1 and 2. Overhead per trial =
 * slot time (trial span x slots / trials) minus the training seconds the trials recorded.
 * With --optuna, the same number of empty Optuna trials on PostgreSQL storage (1 and 2 processes),
 * from the venv .bench-venv/ (created on first use: python3 -m venv + pip install optuna psycopg2-binary).
 *   npm run bench:overhead -- [--trials N] [--optuna]
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { table } from '../src/cli/report.js';
import { startEmbeddedPostgres } from '../src/stack/postgres.js';
import { startTemporalDevServer } from '../src/stack/temporal.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '100' }, optuna: { type: 'boolean', default: false } } });
const trials = Number(values.trials);
const root = fileURLToPath(new URL('..', import.meta.url));
const sweepBin = path.join(root, 'bin/sweep.js');
const dir = mkdtempSync(path.join(tmpdir(), 'bench-overhead-'));
const temporal = await startTemporalDevServer({ dataDir: path.join(dir, 'temporal'), port: 0, uiPort: 0, headless: true });
const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: 0 });
const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address, DATABASE_URL: pg.url, SWEEP_HOME: path.join(dir, 'home') };
const rows: string[][] = [];

try {
  for (const concurrency of [1, 2]) {
    const name = `overhead-c${concurrency}`;
    const file = path.join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        name,
        dataset: { format: 'synthetic', samples: 300, validFraction: 0.3, seed: 1 },
        model: { preset: 'danq-lite', seqLen: 50, convKernel: 9, poolSize: 4, rnnUnits: 4, denseUnits: 4, tasks: 1 },
        space: { convFilters: [4, 8], learningRate: { logUniform: [0.001, 0.01] } },
        strategy: { type: 'random', trials, seed: 1 },
        training: { epochs: 1, batchSize: 64, seed: 1 },
        maxConcurrentTrials: concurrency,
      }),
    );
    const worker = spawn(process.execPath, [sweepBin, 'worker', '--concurrency', String(concurrency)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    try {
      const started = Date.now();
      execFileSync(process.execPath, [sweepBin, 'start', file, '--json'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      const wall = (Date.now() - started) / 1000;
      const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
      const [span] = await sql<{ span: number; trained: number; n: number }[]>`
        select extract(epoch from max(t.finished_at) - min(t.started_at))::float8 as span,
               (select sum(e.seconds) from trial_epochs e join trials t2 on t2.id = e.trial_id join sweeps s2 on s2.id = t2.sweep_id where s2.name = ${name})::float8 as trained,
               count(*)::int as n
        from trials t join sweeps s on s.id = t.sweep_id where s.name = ${name} and t.status = 'completed'`;
      await sql.end();
      const slot = (span!.span * concurrency) / span!.n;
      const training = span!.trained / span!.n;
      rows.push([`danq-sweep, ${concurrency} slot(s)`, String(span!.n), wall.toFixed(1), (slot * 1000).toFixed(0), (training * 1000).toFixed(0), ((slot - training) * 1000).toFixed(0)]);
      console.log(rows.at(-1)!.join('  '));
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
  }

  if (values.optuna) {
    const venv = path.join(root, '.bench-venv');
    const python = path.join(venv, 'bin/python');
    if (!existsSync(python)) {
      execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
      execFileSync(python, ['-m', 'pip', 'install', '-q', 'optuna>=5,<6', 'psycopg2-binary'], { stdio: 'inherit' });
    }
    // Optuna's own database on the same server (its tables would clash with ours).
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    await admin`create database optuna`;
    await admin.end();
    const optunaUrl = new URL(pg.url);
    optunaUrl.pathname = '/optuna';
    const url = optunaUrl.toString().replace(/^postgres:/, 'postgresql+psycopg2:');
    for (const processes of [1, 2]) {
      const study = `empty-${processes}`;
      const script = `import optuna, sys\noptuna.logging.set_verbosity(optuna.logging.WARNING)\ns = optuna.load_study(study_name='${study}', storage='${url}')\ns.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=int(sys.argv[1]))`;
      execFileSync(python, ['-c', `import optuna; optuna.create_study(study_name='${study}', storage='${url}')`], { stdio: 'inherit' });
      const started = Date.now();
      await Promise.all(
        Array.from({ length: processes }, () => new Promise((resolve, reject) => {
          const child = spawn(python, ['-c', script, String(Math.ceil(trials / processes))], { stdio: 'inherit' });
          child.once('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`optuna exited ${code}`))));
        })),
      );
      const wall = (Date.now() - started) / 1000;
      const slotMs = (wall * processes * 1000) / trials;
      rows.push([`Optuna + PostgreSQL, ${processes} process(es)`, String(trials), wall.toFixed(1), slotMs.toFixed(0), '0', slotMs.toFixed(0)]);
      console.log(rows.at(-1)!.join('  '));
    }
  }
  console.log(table(['run', 'trials', 'wall s', 'slot ms/trial', 'training ms/trial', 'overhead ms/trial'], rows));
} finally {
  await temporal.stop();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
