import { loadConfig } from '../../config/index.js';
import { openDb } from '../../db/index.js';
import { openStack } from '../../stack/index.js';
import { parseCommandArgs, printJson, type Command } from '../command.js';
import { printLeaderboard, sweepReport, table, type SweepReport } from '../report.js';
import { followSweep, ProgressView } from '../progress.js';
import { withSession } from '../session.js';
import type { sweepWorkflow } from '../../../workflows/sweep.js';
import type { ResultsStore } from '../../db/types.js';
import { UserError } from '../../errors.js';
import { sweepOutcome } from '../outcome.js';

/** These commands read PostgreSQL only (the record of truth), so they work while Temporal is down. */
async function withDb<T>(fn: (db: ResultsStore) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const stack = await openStack(config, { temporal: false });
  const db = await openDb(stack.databaseUrl);
  try {
    return await fn(db);
  } finally {
    await db.close();
    await stack.close();
  }
}

export const status: Command = {
  usage: `Usage: sweep status SWEEP_ID [--json] [--watch]

The sweep and its trials as recorded in PostgreSQL, ranked by validation ROC AUC.
  --watch   follow a running sweep's progress (as sweep start does) until it ends, then print the table;
            Ctrl-C stops watching, not the sweep
Exit 0, or 3 when the sweep failed (no trial produced a result); failed trials are counted.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('status', argv, { json: { type: 'boolean' }, watch: { type: 'boolean' } }, { min: 1, max: 1, names: 'SWEEP_ID' });
    const sweepId = positionals[0]!;
    const report = values.watch ? await watch(sweepId, !values.json) : await withDb((db) => sweepReport(db, sweepId));
    if (values.json) printJson(report);
    else printLeaderboard(report);
    const outcome = sweepOutcome(report);
    if (outcome.message) process.stderr.write(outcome.message + '\n');
    return outcome.exitCode;
  },
};

async function watch(sweepId: string, show: boolean): Promise<SweepReport> {
  return withSession(async ({ client, db, stack, config }) => {
    const sweep = await db.getSweep(sweepId);
    if (!sweep) throw new UserError(`SWEEP_ID: no sweep '${sweepId}' in the database (sweep list shows the sweeps)`);
    if (sweep.status === 'running' || sweep.status === 'paused') {
      if (show && !config.temporalAddress && !stack.workersRunning) console.error('Note: no `sweep dev` is running, so no worker serves this embedded stack and the sweep will not progress.');
      const outcome = await followSweep(client.workflow.getHandle<typeof sweepWorkflow>(sweep.workflowId), new ProgressView(show ? process.stdout : null, sweep.totalTrials));
      if (outcome === 'interrupted') console.error(`\nStopped watching ${sweepId}; it goes on.`);
    }
    return sweepReport(db, sweepId);
  });
}

export const list: Command = {
  usage: 'Usage: sweep list [--json]\n\nEvery sweep in the database, newest first.',
  async run(argv) {
    const { values } = parseCommandArgs('list', argv, { json: { type: 'boolean' } }, { min: 0, max: 0, names: 'no positional arguments' });
    const sweeps = await withDb((db) => db.listSweeps());
    const rows = sweeps.map((s) => ({ sweepId: s.id, name: s.name, status: s.status, strategy: s.strategy, trials: s.totalTrials, bestTrialId: s.bestTrialId, createdAt: s.createdAt.toISOString() }));
    if (values.json) printJson(rows);
    else if (rows.length === 0) console.log('No sweeps yet: sweep start SPEC.json');
    else console.log(table(['sweep', 'status', 'strategy', 'trials', 'created'], rows.map((r) => [r.sweepId, r.status, r.strategy, String(r.trials), r.createdAt])));
    return 0;
  },
};

export const best: Command = {
  usage: 'Usage: sweep best SWEEP_ID [--json]\n\nThe best trial (highest validation ROC AUC at its best epoch; tie: fewer parameters, then the earlier trial) and its exported model.',
  async run(argv) {
    const { values, positionals } = parseCommandArgs('best', argv, { json: { type: 'boolean' } }, { min: 1, max: 1, names: 'SWEEP_ID' });
    const report = await withDb((db) => sweepReport(db, positionals[0]!));
    if (!report.best) throw new UserError(`${report.sweepId} has no best trial yet (status ${report.status})`);
    if (values.json) printJson(report.best);
    else {
      console.log(`${report.best.trialId}: val ROC AUC ${report.best.valAuc.toFixed(4)} at epoch ${report.best.epoch}`);
      console.log(`params: ${JSON.stringify(report.best.params)}`);
      console.log(`model:  ${report.best.modelPath ?? '(not exported yet: the sweep is still running)'}`);
    }
    return 0;
  },
};
