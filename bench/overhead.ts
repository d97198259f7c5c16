/**
 * Orchestration overhead per trial, not a test: N tiny random-search trials (seqLen 50,
 * one epoch, a few hundred samples) through the real CLI (`sweep worker` + `sweep start`) on a
 * Temporal dev server and PostgreSQL started here, at 1 and 2 slots. Overhead per trial = slot
 * time (trial span x slots / trials; span = first trial start to last trial end) minus the
 * training seconds the trials recorded. Also prints
 * where a trial's slot time goes (from the Temporal histories and the trial rows), and with
 * N >= 2,000 the per-trial cost of every 1,000 trials (first vs last: flat or growing?).
 * With --optuna, the same number of empty Optuna trials on PostgreSQL storage (1 and 2 processes),
 * from the venv .bench-venv/ (created on first use: python3 -m venv + pip install optuna psycopg2-binary).
 * With --workers, 1 vs 2 `sweep worker` processes (1 slot each) on the same CPU-bound sweep.
 *   npm run bench:overhead -- [--trials N] [--slots 1,2] [--samples 300] [--optuna] [--workers] [--cpu-trials M]
 * The 10,000-trial run: --trials 10000 --slots 2 --samples 120 (also prints the plans of the
 * per-trial SQL statements on the full tables).
 * SWEEP_TEMPORAL_PORT / SWEEP_PG_PORT pin the servers' ports (default: free ones).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import postgres from 'postgres';
import { table } from '../src/cli/report.js';
import { startEmbeddedPostgres } from '../src/stack/postgres.js';
import { startTemporalDevServer } from '../src/stack/temporal.js';

const { EventType } = proto.temporal.api.enums.v1;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '100' },
    slots: { type: 'string', default: '1,2' },
    optuna: { type: 'boolean', default: false },
    workers: { type: 'boolean', default: false },
    'cpu-trials': { type: 'string', default: '8' },
    samples: { type: 'string', default: '300' },
  },
});
const trials = Number(values.trials);
const slotCounts = values.slots.split(',').filter(Boolean).map(Number);
const root = fileURLToPath(new URL('..', import.meta.url));
const sweepBin = path.join(root, 'bin/sweep.js');
const dir = mkdtempSync(path.join(tmpdir(), 'bench-overhead-'));
const temporal = await startTemporalDevServer({ dataDir: path.join(dir, 'temporal'), port: Number(process.env.SWEEP_TEMPORAL_PORT ?? 0), uiPort: 0, headless: true });
const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: Number(process.env.SWEEP_PG_PORT ?? 0) });
const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address, DATABASE_URL: pg.url, SWEEP_HOME: path.join(dir, 'home') };
const sql = postgres(pg.url, { max: 2, onnotice: () => {} });
const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
const rows: string[][] = [];
const notes: string[] = [];
const optunaCpu: string[][] = [];

const tinySpec = (name: string, count: number, slots: number) => ({
  name,
  dataset: { format: 'synthetic', samples: Number(values.samples), validFraction: 0.3, seed: 1 },
  model: { preset: 'danq-lite', seqLen: 50, convKernel: 9, poolSize: 4, rnnUnits: 4, denseUnits: 4, tasks: 1 },
  space: { convFilters: [4, 8], learningRate: { logUniform: [0.001, 0.01] } },
  strategy: { type: 'random', trials: count, seed: 1 },
  training: { epochs: 1, batchSize: 64, seed: 1 },
  maxConcurrentTrials: slots,
});

/** Seconds per trial that keep a core busy with training (the 1 vs 2 workers comparison). */
const cpuSpec = (name: string, count: number) => ({
  name,
  dataset: { format: 'synthetic', samples: 2000, validFraction: 0.2, seed: 1 },
  model: { preset: 'danq-lite', seqLen: 200, tasks: 1 },
  space: { convFilters: [16, 32], learningRate: { logUniform: [0.001, 0.01] } },
  strategy: { type: 'random', trials: count, seed: 1 },
  training: { epochs: 4, batchSize: 64, seed: 1 },
  maxConcurrentTrials: 2,
});

function startWorker(slots: number): ChildProcess {
  return spawn(process.execPath, [sweepBin, 'worker', '--concurrency', String(slots)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map((w) => {
      const exited = new Promise((r) => w.once('exit', r));
      w.kill('SIGTERM');
      return exited;
    }),
  );
}

interface SweepRun {
  sweepId: string;
  /** First trial start to last trial end, seconds. */
  span: number;
  completed: number;
  /** Sum of the recorded epoch seconds. */
  trained: number;
  /** CPU milliseconds per process group over the trial span (sampled; see cpuSampler). */
  cpu: CpuByGroup;
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

interface ProcStat {
  ppid: number;
  /** utime + stime, milliseconds. */
  own: number;
  /** cutime + cstime: children that exited and were waited for, milliseconds. */
  reaped: number;
}

/** One reading of /proc: every process's parent and CPU times, and its children. */
interface ProcTable {
  stats: Map<number, ProcStat>;
  children: Map<number, number[]>;
}

function readProcTable(): ProcTable {
  const stats = new Map<number, ProcStat>();
  const children = new Map<number, number[]>();
  const tick = 1000 / CLOCK_TICKS_PER_SECOND;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name (which may contain spaces): state, ppid, ... utime (14), stime, cutime, cstime.
    const f = text
      .slice(text.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const pid = Number(entry);
    stats.set(pid, { ppid: f[1]!, own: (f[11]! + f[12]!) * tick, reaped: (f[13]! + f[14]!) * tick });
    const siblings = children.get(f[1]!);
    if (siblings) siblings.push(pid);
    else children.set(f[1]!, [pid]);
  }
  return { stats, children };
}

/** CPU ms of `root`: its own, its descendants' (live and reaped), or both. */
function cpuOf(table: ProcTable, root: number, which: 'own' | 'descendants' | 'tree'): number {
  const own = (pid: number) => table.stats.get(pid)?.own ?? 0;
  const descendants = (pid: number): number => (table.stats.get(pid)?.reaped ?? 0) + (table.children.get(pid) ?? []).reduce((sum, c) => sum + own(c) + descendants(c), 0);
  if (!table.stats.has(root)) return 0;
  return which === 'own' ? own(root) : which === 'descendants' ? descendants(root) : own(root) + descendants(root);
}

type CpuByGroup = Record<'Temporal server' | 'PostgreSQL' | 'sweep worker (orchestration, workflows)' | 'training processes' | 'sweep start (CLI)', number>;

/**
 * Samples each group's CPU time every 100 ms while a sweep runs, so the trial span (known only
 * afterwards, from the rows) can be cut out of it: process start-up is not a per-trial cost.
 * A sample reads every /proc/<pid>/stat: ~1.5 ms of this process's CPU, counted in no group.
 */
function cpuSampler(workers: ChildProcess[]) {
  const samples: { at: number; cpu: CpuByGroup }[] = [];
  const workerPids = workers.map((w) => w.pid!);
  const others = new Set([...workerPids, temporal.pid, pg.pid]);
  const sample = () => {
    const table = readProcTable();
    const sum = (pids: number[], which: 'own' | 'descendants' | 'tree') => pids.reduce((total, pid) => total + cpuOf(table, pid, which), 0);
    const cli = (table.children.get(process.pid) ?? []).filter((pid) => !others.has(pid));
    samples.push({
      at: Date.now(),
      cpu: {
        'Temporal server': sum([temporal.pid], 'tree'),
        PostgreSQL: sum([pg.pid], 'tree'),
        'sweep worker (orchestration, workflows)': sum(workerPids, 'own'),
        'training processes': sum(workerPids, 'descendants'),
        'sweep start (CLI)': sum(cli, 'tree'),
      },
    });
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    /** CPU ms per group between the samples nearest to `from` and `to` (epoch ms). */
    between(from: number, to: number): CpuByGroup {
      clearInterval(timer);
      const nearest = (t: number) => samples.reduce((best, s) => (Math.abs(s.at - t) < Math.abs(best.at - t) ? s : best));
      const [a, b] = [nearest(from).cpu, nearest(to).cpu];
      return Object.fromEntries(Object.keys(a).map((k) => [k, b[k as keyof CpuByGroup] - a[k as keyof CpuByGroup]])) as CpuByGroup;
    },
  };
}

/** Runs one sweep through `sweep start` against the given worker processes (each with `slots` slots). */
async function runSweep(spec: { name: string }, workerCount: number, slots: number): Promise<SweepRun> {
  const file = path.join(dir, `${spec.name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const workers = Array.from({ length: workerCount }, () => startWorker(slots));
  const sampler = cpuSampler(workers);
  try {
    await promisify(execFile)(process.execPath, [sweepBin, 'start', file, '--json'], { env, maxBuffer: 1 << 30 });
    const [row] = await sql<{ sweepId: string; span: number; trained: number; completed: number; from: number; to: number }[]>`
      select s.id as "sweepId",
             extract(epoch from max(t.finished_at) - min(t.started_at))::float8 as span,
             extract(epoch from min(t.started_at))::float8 * 1000 as "from", extract(epoch from max(t.finished_at))::float8 * 1000 as "to",
             (select coalesce(sum(e.seconds), 0) from trial_epochs e join trials t2 on t2.id = e.trial_id where t2.sweep_id = s.id)::float8 as trained,
             count(*) filter (where t.status = 'completed')::int as completed
      from sweeps s join trials t on t.sweep_id = s.id where s.name = ${spec.name} group by s.id`;
    const { from, to, ...run } = row!;
    return { ...run, cpu: sampler.between(from, to) };
  } finally {
    await stopWorkers(workers);
  }
}

const ms = (event: HistoryEvent) => Number(event.eventTime!.seconds) * 1000 + (event.eventTime!.nanos ?? 0) / 1e6;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function historyOf(workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
}

/** The sweep's runs (one per continue-as-new), oldest first, with their history lengths. */
async function sweepRuns(sweepId: string): Promise<{ runId: string; events: number }[]> {
  const runs: { runId: string; start: number; events: number }[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = "${sweepId}"` })) runs.push({ runId: w.runId, start: w.startTime.getTime(), events: w.historyLength });
  return runs.sort((a, b) => a.start - b.start);
}

/**
 * Median milliseconds of each step of a trial's slot time, over up to `sample` trials of the
 * sweep's first run: the sweep's workflow task that starts the trial (queued, then on the worker),
 * for a trial run as a child workflow (sweeps before the 'trials-as-activities' patch) its own
 * workflow tasks, the training task's dispatch, and inside the training activity the set-up before
 * the trial row says running, the epochs it recorded, the rest until the row says finished.
 */
async function breakdown(sweepId: string, sample: number): Promise<string[][]> {
  const [first] = await sweepRuns(sweepId);
  const events = await historyOf(sweepId, first!.runId);
  const dbRows = await sql<{ id: string; startedAt: Date | null; finishedAt: Date | null; seconds: number }[]>`
    select t.id, t.started_at as "startedAt", t.finished_at as "finishedAt", (select coalesce(sum(seconds), 0) from trial_epochs where trial_id = t.id)::float8 as seconds
    from trials t where t.sweep_id = ${sweepId}`;
  const db = new Map(dbRows.map((r) => [r.id, r]));
  const steps: Record<string, number[]> = {};
  const add = (name: string, value: number) => (steps[name] ??= []).push(value);
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const after = (from: number, type: proto.temporal.api.enums.v1.EventType, list = events) => list.find((e) => Number(e.eventId) > from && e.eventType === type);
  /** The workflow task after event `from` of `list`: time queued and time on the worker. */
  const task = (prefix: string, from: HistoryEvent, list = events) => {
    const started = after(Number(from.eventId), EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, list);
    const completed = started && after(Number(started.eventId), EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, list);
    if (!started || !completed) return;
    add(`${prefix} workflow task: queued`, ms(started) - ms(from));
    add(`${prefix} workflow task: on the worker`, ms(completed) - ms(started));
  };
  /** Training task dispatch and the activity's inside, from its three events and the trial row. */
  const activity = (scheduled: HistoryEvent, started: HistoryEvent, completed: HistoryEvent, trialId: string) => {
    const row = db.get(trialId);
    add('training task dispatch (scheduled -> started)', ms(started) - ms(scheduled));
    if (!row?.startedAt || !row.finishedAt) return;
    add('activity: set-up until the trial row is running', row.startedAt.getTime() - ms(started));
    add('activity: epochs (recorded training seconds)', row.seconds * 1000);
    add('activity: running -> finished, minus epochs', row.finishedAt.getTime() - row.startedAt.getTime() - row.seconds * 1000);
    add('activity: finished -> task completed', ms(completed) - row.finishedAt.getTime());
  };
  const json = (payload: proto.temporal.api.common.v1.IPayload | undefined) => JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as { trialId: string };
  let previousDone: HistoryEvent | undefined;
  let seen = 0;
  for (const e of events) {
    const launched = e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainTrial' || e.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED;
    const done =
      e.eventType === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED ||
      (e.activityTaskCompletedEventAttributes && byId.get(Number(e.activityTaskCompletedEventAttributes.scheduledEventId))?.activityTaskScheduledEventAttributes?.activityType?.name === 'trainTrial');
    if (done) previousDone = e;
    if (!launched) continue;
    // Skip the first trial (cold worker caches) and take the next `sample`.
    if (seen++ === 0 || seen > sample + 1) continue;
    if (previousDone) {
      add('sweep: previous trial done -> next trial scheduled', ms(e) - ms(previousDone));
      task('sweep:', previousDone);
    }
    if (e.activityTaskScheduledEventAttributes) {
      const id = String(e.eventId);
      const started = events.find((x) => String(x.activityTaskStartedEventAttributes?.scheduledEventId) === id);
      const completed = events.find((x) => String(x.activityTaskCompletedEventAttributes?.scheduledEventId) === id);
      if (started && completed) activity(e, started, completed, json(e.activityTaskScheduledEventAttributes.input?.payloads?.[0]).trialId);
      continue;
    }
    const id = e.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId!;
    const childEvents = await historyOf(id);
    const find = (type: proto.temporal.api.enums.v1.EventType) => childEvents.find((x) => x.eventType === type);
    const started = find(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    const scheduled = find(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    const taskStarted = find(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    const taskDone = find(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    const finished = find(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    const notified = events.find((x) => x.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId === id);
    if (!started || !scheduled || !taskStarted || !taskDone || !finished || !notified) continue;
    add('trial workflow created', ms(started) - ms(e));
    task('trial: first', started, childEvents);
    activity(scheduled, taskStarted, taskDone, id);
    add('trial: last workflow task -> workflow completed', ms(finished) - ms(taskDone));
    add('sweep notified of the trial result', ms(notified) - ms(finished));
  }
  return Object.entries(steps).map(([name, xs]) => [name, String(xs.length), median(xs).toFixed(1)]);
}

const CPU_NOTE = 'user + system, from /proc; training processes also listed minus the training seconds they recorded';

function cpuRows(run: SweepRun): string[][] {
  const perTrial = (msTotal: number) => (msTotal / run.completed).toFixed(1);
  const rows = Object.entries(run.cpu).map(([group, total]) => [group, perTrial(total)]);
  const training = run.cpu['training processes'];
  rows.push(['training processes minus recorded training seconds', perTrial(training - run.trained * 1000)]);
  rows.push(['all but the recorded training seconds', perTrial(Object.values(run.cpu).reduce((a, b) => a + b, 0) - run.trained * 1000)]);
  return rows;
}

/** Per-trial slot cost of each block of 1,000 trials, in the order they finished. */
async function perThousand(sweepId: string, slots: number): Promise<string[][]> {
  const blocks = await sql<{ block: number; n: number; from: number; to: number }[]>`
    with ranked as (
      select finished_at, started_at, (row_number() over (order by finished_at) - 1) / 1000 as block
      from trials where sweep_id = ${sweepId} and finished_at is not null)
    select block::int, count(*)::int as n,
           extract(epoch from min(started_at))::float8 as "from", extract(epoch from max(finished_at))::float8 as "to"
    from ranked group by block order by block`;
  let previousEnd: number | undefined;
  return blocks.map((b) => {
    const start = previousEnd ?? b.from;
    previousEnd = b.to;
    return [`${b.block * 1000 + 1}-${b.block * 1000 + b.n}`, String(b.n), (((b.to - start) * 1000 * slots) / b.n).toFixed(0)];
  });
}

/**
 * The plans of the statements every trial runs (src/db/postgres-store.ts), on this sweep's rows: each
 * should be an index lookup, never a scan over all trials.
 */
async function hotQueryPlans(sweepId: string): Promise<string[][]> {
  const [trial] = await sql<{ id: string }[]>`select id from trials where sweep_id = ${sweepId} order by number desc limit 1`;
  const id = trial!.id;
  const plans: [string, postgres.PendingQuery<postgres.Row[]>][] = [
    ['lock the trial row', sql`explain select * from trials where id = ${id} for update`],
    ['trial row update', sql`explain update trials set updated_at = now() where id = ${id}`],
    [
      'epoch upsert',
      sql`explain insert into trial_epochs (trial_id, epoch, train_loss, val_loss, val_auc, val_pr_auc, seconds, samples_per_sec) values (${id}, 1, 0, 0, 0, 0, 0, 0) on conflict (trial_id, epoch) do nothing`,
    ],
    ['best epoch metrics', sql`explain select val_pr_auc from trial_epochs where trial_id = ${id} and epoch = 1`],
    ['sweep status update', sql`explain update sweeps set updated_at = now() where id = ${sweepId} and status in ('running', 'paused')`],
  ];
  const rows: string[][] = [];
  for (const [name, query] of plans) {
    const plan = (await query).map((r) => String(Object.values(r)[0]).trim());
    rows.push([name, plan.filter((line) => /Scan|Insert|Update|LockRows|Conflict/.test(line)).join('; ')]);
  }
  return rows;
}

try {
  for (const slots of slotCounts) {
    const run = await runSweep(tinySpec(`overhead-c${slots}`, trials, slots), 1, slots);
    const slot = (run.span * slots) / run.completed;
    const training = run.trained / run.completed;
    rows.push([`danq-sweep, ${slots} slot(s)`, String(run.completed), run.span.toFixed(1), (slot * 1000).toFixed(0), (training * 1000).toFixed(0), ((slot - training) * 1000).toFixed(0)]);
    console.log(rows.at(-1)!.join('  '));
    console.log(`\nCPU time per trial over the trial span (${slots} slot(s); ${CPU_NOTE}):`);
    console.log(table(['process', 'CPU ms/trial'], cpuRows(run)));
    console.log(`\nWhere the slot time of a trial goes (${slots} slot(s), median ms):`);
    console.log(table(['step', 'trials', 'ms'], await breakdown(run.sweepId, 40)));
    const runs = await sweepRuns(run.sweepId);
    notes.push(`${slots} slot(s): sweep history ${runs.length} run(s) (continue-as-new), at most ${Math.max(...runs.map((r) => r.events))} events per run`);
    if (run.completed >= 2000) {
      console.log(`\nPer-trial slot cost by block of 1,000 trials (${slots} slot(s)):`);
      console.log(table(['trials', 'n', 'slot ms/trial'], await perThousand(run.sweepId, slots)));
      console.log(`\nPlans of the per-trial statements with ${run.completed} trials in the table:`);
      console.log(table(['statement', 'plan'], await hotQueryPlans(run.sweepId)));
    }
    console.log();
  }

  if (values.workers) {
    const count = Number(values['cpu-trials']);
    const walls: number[] = [];
    for (const workerCount of [1, 2]) {
      const run = await runSweep(cpuSpec(`cpu-bound-w${workerCount}`, count), workerCount, 1);
      walls.push(run.span);
      rows.push([
        `CPU-bound sweep, ${workerCount} worker process(es) x 1 slot`,
        String(run.completed),
        run.span.toFixed(1),
        ((run.span * 1000 * workerCount) / run.completed).toFixed(0),
        ((run.trained * 1000) / run.completed).toFixed(0),
        '',
      ]);
      console.log(rows.at(-1)!.join('  '));
    }
    notes.push(`1 vs 2 sweep worker processes on the CPU-bound sweep: speedup ${(walls[0]! / walls[1]!).toFixed(2)}x (trial span ${walls[0]!.toFixed(1)} s vs ${walls[1]!.toFixed(1)} s)`);
  }

  if (values.optuna) {
    const venv = path.join(root, '.bench-venv');
    const python = path.join(venv, 'bin/python');
    if (!existsSync(python)) {
      execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
      execFileSync(python, ['-m', 'pip', 'install', '-q', 'optuna>=5,<6', 'psycopg2-binary'], { stdio: 'inherit' });
    }
    // Optuna's own database on the same server (its tables would clash with ours).
    await sql`create database optuna`;
    const optunaUrl = new URL(pg.url);
    optunaUrl.pathname = '/optuna';
    const url = optunaUrl.toString().replace(/^postgres:/, 'postgresql+psycopg2:');
    for (const processes of [1, 2]) {
      const study = `empty-${processes}`;
      // Timed inside Python, from the loaded study to the last trial, like the trial span above
      // (interpreter start-up and `import optuna`, ~1-2 s, are no per-trial cost).
      const script = `import optuna, sys, time\noptuna.logging.set_verbosity(optuna.logging.WARNING)\ns = optuna.load_study(study_name='${study}', storage='${url}')\nt0 = time.time()\ns.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=int(sys.argv[1]))\nprint(t0, time.time())`;
      execFileSync(python, ['-c', `import optuna; optuna.create_study(study_name='${study}', storage='${url}')`], { stdio: 'inherit' });
      // Python's CPU, start-up included (exited children reaped by this process), and PostgreSQL's.
      const cpuBefore = readProcTable();
      const spans = await Promise.all(
        Array.from(
          { length: processes },
          () =>
            new Promise<[number, number]>((resolve, reject) => {
              const child = spawn(python, ['-c', script, String(Math.ceil(trials / processes))], { stdio: ['ignore', 'pipe', 'inherit'] });
              let out = '';
              child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
              child.once('exit', (code) => (code === 0 ? resolve(out.trim().split(' ').map(Number) as [number, number]) : reject(new Error(`optuna exited ${code}`))));
            }),
        ),
      );
      const cpuAfter = readProcTable();
      const cpuPerTrial = (pid: number, which: 'descendants' | 'tree') => ((cpuOf(cpuAfter, pid, which) - cpuOf(cpuBefore, pid, which)) / trials).toFixed(1);
      optunaCpu.push([`Optuna, ${processes} process(es): Python`, cpuPerTrial(process.pid, 'descendants')]);
      optunaCpu.push([`Optuna, ${processes} process(es): PostgreSQL`, cpuPerTrial(pg.pid, 'tree')]);
      const wall = Math.max(...spans.map((s) => s[1])) - Math.min(...spans.map((s) => s[0]));
      const slotMs = (wall * processes * 1000) / trials;
      rows.push([`Optuna + PostgreSQL, ${processes} process(es)`, String(trials), wall.toFixed(1), slotMs.toFixed(0), '0', slotMs.toFixed(0)]);
      console.log(rows.at(-1)!.join('  '));
    }
  }
  if (optunaCpu.length > 0) console.log(`\nCPU time per Optuna trial (Python start-up included):\n${table(['process', 'CPU ms/trial'], optunaCpu)}\n`);
  console.log(table(['run', 'trials', 'span s', 'slot ms/trial', 'training ms/trial', 'overhead ms/trial'], rows));
  for (const note of notes) console.log(note);
} finally {
  await sql.end();
  await client.connection.close();
  await temporal.stop();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
