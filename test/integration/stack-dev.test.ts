// As a user would try it: `sweep dev` with no TEMPORAL_ADDRESS / DATABASE_URL
// brings up its own Temporal dev server (with the Web UI) and PostgreSQL under SWEEP_HOME plus
// workers; other `sweep` processes reuse that stack; SIGINT stops everything with no process left.
// Runs on a stack of its own (temp SWEEP_HOME, free ports), not the test run's servers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { runSweepCli, sweepBin } from '../support/cli.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/stack/net.js';
import { findRunningPostgres } from '../../src/stack/postgres.js';
import { openDb } from '../../src/db/index.js';
import { tinyDataset } from './support/sweep-harness.js';
import { until } from './support/until.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const run = (args: string[], env?: NodeJS.ProcessEnv, cwd?: string) => runSweepCli(args, { env, cwd });

describe('sweep --version and --help', () => {
  it('prints the package version', async () => {
    const { code, stdout } = await run(['--version']);
    assert.equal(code, 0);
    assert.equal(stdout.trim(), pkg.version);
  });

  it('lists the commands', async () => {
    const { code, stdout } = await run(['--help']);
    assert.equal(code, 0);
    for (const name of ['start', 'validate', 'status', 'list', 'best', 'pause', 'resume', 'cancel', 'worker', 'dev', 'model', 'evaluate', 'data']) {
      assert.match(stdout, new RegExp(`^  ${name} +\\S`, 'm'), `--help lists ${name}`);
    }
  });
});

interface Proc {
  pid: number;
  ppid: number;
  stat: string;
  comm: string;
  args: string;
}

function processes(): Proc[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,stat=,comm=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), stat: m[3]!, comm: m[4]!, args: m[5]! }));
}

/** Running (not zombie) processes: this machine's PID 1 never reaps, so an exited orphan stays <defunct>. */
const live = (list: Proc[]) => list.filter((p) => !p.stat.startsWith('Z'));

function descendants(root: number, list = processes()): Proc[] {
  const found: Proc[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of list) {
      if (p.ppid !== parent) continue;
      found.push(p);
      queue.push(p.pid);
    }
  }
  return found;
}

describe('sweep dev: the embedded stack in the foreground', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'sweep-dev-'));
  const sweepHome = path.join(home, 'home');
  let env: NodeJS.ProcessEnv;
  let ports: { temporal: number; ui: number; pg: number };
  let dev: ChildProcess;
  let devOutput = '';
  let devExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** The stack's servers: processes whose command line names SWEEP_HOME (temporal's --db-filename, the postmaster's -D). */
  // A postgres backend forked for a new connection keeps the postmaster's command line until it
  // renames itself: only a server process whose parent is not one of these is a server.
  const stackServers = () => {
    const candidates = live(processes()).filter((p) => p.args.includes(sweepHome) && (p.comm === 'temporal' || p.comm === 'postgres'));
    const pids = new Set(candidates.map((p) => p.pid));
    return candidates.filter((p) => !pids.has(p.ppid));
  };

  before(async () => {
    ports = { temporal: await freePort(), ui: await freePort(), pg: await freePort() };
    env = { ...process.env, SWEEP_HOME: sweepHome, SWEEP_TEMPORAL_PORT: String(ports.temporal), SWEEP_UI_PORT: String(ports.ui), SWEEP_PG_PORT: String(ports.pg) };
    for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'DATABASE_URL', 'SWEEP_QUEUE', 'SWEEP_TRAIN_QUEUE', 'SWEEP_ARTIFACTS', 'SWEEP_CACHE']) delete env[name];
    dev = spawn(process.execPath, [sweepBin, 'dev', '--concurrency', '1'], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    devExit = new Promise((resolve) => dev.once('exit', (code, signal) => resolve({ code, signal })));
    let exited = false;
    void devExit.then(() => (exited = true));
    dev.stdout!.on('data', (d: Buffer) => (devOutput += d.toString()));
    dev.stderr!.on('data', (d: Buffer) => (devOutput += d.toString()));
    await until(
      '"stack is up" from sweep dev',
      () => {
        if (exited) throw new Error(`sweep dev exited before the stack was up:\n${devOutput}`);
        return devOutput.includes('stack is up') ? true : undefined;
      },
      240_000,
    );
  });

  after(async () => {
    // Only when a test failed midway: stop what is still running, by pid.
    if (dev?.exitCode === null && dev.signalCode === null) {
      dev.kill('SIGINT');
      const stopped = await Promise.race([devExit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
      if (!stopped) dev.kill('SIGKILL');
    }
    for (const p of stackServers()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('prints the UI URL and connection strings, and the Temporal Web UI answers HTTP', async () => {
    assert.match(devOutput, new RegExp(`Temporal UI: +http://127\\.0\\.0\\.1:${ports.ui}`));
    assert.match(devOutput, new RegExp(`TEMPORAL_ADDRESS=127\\.0\\.0\\.1:${ports.temporal}`));
    assert.match(devOutput, new RegExp(`DATABASE_URL=postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${ports.pg}/sweep`));
    const page = await until(
      'the Web UI',
      async () => {
        const res = await fetch(`http://127.0.0.1:${ports.ui}/`).catch(() => undefined);
        return res?.ok ? res.text() : undefined;
      },
      60_000,
    );
    assert.match(page, /<html/i);
    // The UI is wired to this server: its API lists the default namespace.
    const api = await fetch(`http://127.0.0.1:${ports.ui}/api/v1/namespaces`);
    assert.equal(api.status, 200);
    assert.match(await api.text(), /"default"/);
    const servers = stackServers();
    assert.equal(servers.filter((p) => p.comm === 'temporal').length, 1, 'one Temporal dev server');
    assert.equal(servers.filter((p) => p.comm === 'postgres').length, 1, 'one postmaster');
  });

  it('a second process reuses the running stack instead of starting another', async () => {
    const servers = stackServers()
      .map((p) => p.pid)
      .sort();
    // Sample the process table while `sweep list` runs: no second server may appear even briefly.
    const extra: Proc[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        extra.push(...stackServers().filter((p) => !servers.includes(p.pid)));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const listed = await run(['list', '--json'], env, home);
    sampling = false;
    await sampler;
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), []);
    assert.deepEqual(extra, [], 'no second temporal/postgres process');
    assert.deepEqual(
      stackServers()
        .map((p) => p.pid)
        .sort(),
      servers,
    );
  });

  it('sweep start --detach is served by the dev workers and completes', async () => {
    const spec = path.join(home, 'tiny.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'devtiny',
        dataset: tinyDataset,
        model: { preset: 'danq-lite', seqLen: 60, convKernel: 9, poolSize: 4, rnnUnits: 4, denseUnits: 0 },
        space: { convFilters: [4, 8] },
        strategy: { type: 'grid' },
        training: { epochs: 1, batchSize: 32, seed: 1 },
        maxConcurrentTrials: 1,
      }),
    );
    const servers = stackServers()
      .map((p) => p.pid)
      .sort();
    const started = await run(['start', spec, '--detach', '--json'], env, home);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stderr, new RegExp(`Reusing the Temporal dev server at 127\\.0\\.0\\.1:${ports.temporal}`));
    assert.match(started.stderr, new RegExp(`Reusing the PostgreSQL server of process ${dev.pid} on port ${ports.pg}`));
    const { sweepId, status } = JSON.parse(started.stdout) as { sweepId: string; status: string };
    assert.equal(status, 'running');

    const report = await until(
      'the sweep to complete',
      async () => {
        const res = await run(['status', sweepId, '--json'], env, home);
        assert.equal(res.code, 0, res.stderr);
        const r = JSON.parse(res.stdout) as { status: string; trials: { status: string; epochs: number }[] };
        assert.ok(r.status === 'running' || r.status === 'completed', `sweep status ${r.status}`);
        return r.status === 'completed' ? r : undefined;
      },
      180_000,
    );
    assert.deepEqual(
      report.trials.map((t) => [t.status, t.epochs]),
      [
        ['completed', 1],
        ['completed', 1],
      ],
    );
    assert.deepEqual(
      stackServers()
        .map((p) => p.pid)
        .sort(),
      servers,
      'start and status started no servers',
    );

    // The dev process's workers trained the trials (sweep start --detach runs none of its own).
    const identity = /workers: (\S+),/.exec(devOutput)?.[1];
    assert.ok(identity?.startsWith(`${dev.pid}@`), `dev worker identity ${identity}`);
    const pg = await findRunningPostgres(path.join(sweepHome, 'postgres'));
    assert.ok(pg, 'the embedded PostgreSQL is running');
    const db = await openDb(pg.url);
    try {
      const trials = await db.listTrials(sweepId);
      assert.deepEqual(
        trials.map((t) => t.workerIdentity),
        [identity, identity],
      );
    } finally {
      await db.close();
    }
  });

  it('SIGINT stops the dev process with exit 0 and leaves no process of the stack', async () => {
    const state = JSON.parse(readFileSync(path.join(sweepHome, 'stack.json'), 'utf8')) as { temporal?: { pid: number }; devPid?: number };
    const temporalPid = state.temporal?.pid;
    assert.ok(temporalPid, 'stack.json names the Temporal server');
    assert.equal(state.devPid, dev.pid);
    const postgresPid = Number(readFileSync(path.join(sweepHome, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    assert.ok(Number.isInteger(postgresPid) && postgresPid > 0);
    const tree = live(descendants(dev.pid!));
    assert.ok(tree.some((p) => p.pid === temporalPid) && tree.some((p) => p.pid === postgresPid), 'both servers are children of sweep dev');
    const postgresBackends = live(descendants(postgresPid));

    process.kill(dev.pid!, 'SIGINT');
    const { code, signal } = await devExit;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, devOutput);
    assert.match(devOutput, /Stopped\./);

    const left = live(processes()).filter((p) => [temporalPid, postgresPid, ...tree.map((t) => t.pid), ...postgresBackends.map((b) => b.pid)].includes(p.pid));
    assert.deepEqual(left, [], 'no process of the stack remains');
    assert.deepEqual(stackServers(), []);
    assert.equal(existsSync(path.join(sweepHome, 'postgres', 'postmaster.pid')), false, 'PostgreSQL shut down cleanly');
    const finalState = JSON.parse(readFileSync(path.join(sweepHome, 'stack.json'), 'utf8')) as { temporal?: unknown; devPid?: unknown };
    assert.deepEqual(finalState, {}, 'stack.json no longer names running processes');
  });
});

describe('two concurrent sweep start on the embedded stack', () => {
  it('share one stack; the one that started it waits for the other before stopping it', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'sweep-pair-'));
    const sweepHome = path.join(home, 'home');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SWEEP_HOME: sweepHome,
      SWEEP_TEMPORAL_PORT: String(await freePort()),
      SWEEP_UI_PORT: String(await freePort()),
      SWEEP_PG_PORT: String(await freePort()),
    };
    for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'DATABASE_URL', 'SWEEP_QUEUE', 'SWEEP_TRAIN_QUEUE', 'SWEEP_ARTIFACTS', 'SWEEP_CACHE']) delete env[name];
    const spec = (name: string, epochs: number) => {
      const file = path.join(home, `${name}.json`);
      const model = { preset: 'danq-lite', seqLen: 60, convFilters: 4, convKernel: 9, poolSize: 4, rnnUnits: 4, denseUnits: 0 };
      writeFileSync(file, JSON.stringify({ name, dataset: tinyDataset, model, strategy: { type: 'grid' }, training: { epochs, batchSize: 32, seed: 1 }, maxConcurrentTrials: 1 }));
      return file;
    };
    const servers = () => live(processes()).filter((p) => p.args.includes(sweepHome) && (p.comm === 'temporal' || p.comm === 'postgres'));
    try {
      // The first trains long enough (60 tiny epochs) to be running when the second joins: the
      // servers start in parallel and the training processes are warm, so one epoch could end first.
      const first = run(['start', spec('first', 60), '--json'], env, home);
      const stackUsers = () => {
        try {
          return (JSON.parse(readFileSync(path.join(sweepHome, 'stack.json'), 'utf8')) as { users?: number[] }).users?.length ?? 0;
        } catch {
          return 0;
        }
      };
      await until('the first sweep to open the stack', () => (servers().length >= 2 && stackUsers() >= 1 ? true : undefined), 240_000);
      const second = await run(['start', spec('second', 400), '--json'], env, home);
      const firstResult = await first;
      assert.equal(firstResult.code, 0, firstResult.stderr);
      assert.match(firstResult.stderr, /Waiting for 1 other process\(es\) using the embedded stack/);
      assert.equal(second.code, 0, second.stderr);
      assert.equal((JSON.parse(second.stdout) as { status: string }).status, 'completed', 'the second sweep kept its servers to the end');
      assert.match(second.stderr, /Reusing the Temporal dev server/);
      assert.deepEqual(servers(), [], 'the last one out stopped the stack');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
