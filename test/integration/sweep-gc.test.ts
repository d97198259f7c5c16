/**
 * `sweep gc` on a real PostgreSQL, through the real CLI: finished sweeps lose their checkpoints and
 * the temp files of writers that died; best models and running sweeps are untouched; --dry-run removes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openDb } from '../../src/db/index.js';
import type { ResultsStore } from '../../src/db/types.js';
import { runSweepCli } from '../support/cli.js';
import { createFreshDatabase, type FreshDatabase } from './support/fresh-database.js';

let database: FreshDatabase;
let db: ResultsStore;
const home = mkdtempSync(path.join(tmpdir(), 'danq-gc-'));
const artifacts = path.join(home, 'artifacts');
const models = path.join(home, 'models');
const env: NodeJS.ProcessEnv = { ...process.env, SWEEP_HOME: home, SWEEP_ARTIFACTS: artifacts, SWEEP_MODELS: models };

before(async () => {
  database = await createFreshDatabase('sweep_gc');
  env.DATABASE_URL = database.url;
  db = await openDb(database.url);
});
after(async () => {
  await db.close();
  await database.drop();
  rmSync(home, { recursive: true, force: true });
});

function file(at: string, bytes: number): string {
  mkdirSync(path.dirname(at), { recursive: true });
  writeFileSync(at, Buffer.alloc(bytes));
  return at;
}

async function sweep(id: string): Promise<void> {
  await db.createSweep({ id, name: 'gc', spec: {}, datasetFingerprint: 'f', strategy: 'grid', totalTrials: 1, workflowId: id });
}

test('sweep gc frees the checkpoints and dead writers temp files of finished sweeps, keeps best models and running sweeps', async () => {
  await sweep('sweep-gc-done');
  await db.finishSweep('sweep-gc-done', { status: 'completed', bestTrialId: null });
  await sweep('sweep-gc-failed');
  await db.finishSweep('sweep-gc-failed', { status: 'failed', bestTrialId: null, failureReason: 'x' });
  await sweep('sweep-gc-running');
  const done = file(path.join(artifacts, 'sweep-gc-done', 'sweep-gc-done-trial-1', 'checkpoint', 'checkpoint.bin'), 1_000_000);
  file(`${done}.tmp-123-abcd0123`, 400_000); // a writer that died
  const failed = file(path.join(artifacts, 'sweep-gc-failed', 'sweep-gc-failed-trial-1', 'checkpoint', 'checkpoint.bin'), 500_000);
  const running = file(path.join(artifacts, 'sweep-gc-running', 'sweep-gc-running-trial-1', 'checkpoint', 'checkpoint.bin'), 300_000);
  const model = file(path.join(models, 'sweep-gc-done', 'best', 'model.json'), 1_000);
  const modelLeftover = file(path.join(models, 'sweep-gc-done', 'best', 'weights.bin.tmp-9-00ff00ff'), 100_000);

  const dry = await runSweepCli(['gc', '--dry-run', '--json'], { env });
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(JSON.parse(dry.stdout), {
    dryRun: true,
    // Newest sweep first, as sweep list shows them.
    freed: [
      { sweepId: 'sweep-gc-failed', status: 'failed', files: 1, bytes: 500_000 },
      { sweepId: 'sweep-gc-done', status: 'completed', files: 3, bytes: 1_500_000 },
    ],
    bytes: 2_000_000,
  });
  assert.ok(
    [done, failed, running, model, modelLeftover].every((f) => existsSync(f)),
    'a dry run removes nothing',
  );

  const real = await runSweepCli(['gc'], { env });
  assert.equal(real.code, 0, real.stderr);
  assert.match(real.stdout, /^sweep-gc-done\s+completed\s+3\s+1\.5$/m);
  assert.match(real.stdout, /^Freed 2\.0 MB in 4 file\(s\) of 2 finished sweep\(s\)\.$/m);
  assert.deepEqual(readdirSync(artifacts), ['sweep-gc-running'], 'only the running sweep keeps its checkpoints');
  assert.ok(existsSync(running) && existsSync(model), 'the running sweep and the best model are kept');
  assert.ok(!existsSync(modelLeftover), "an export's leftover temp file is removed");

  const again = await runSweepCli(['gc'], { env });
  assert.match(again.stdout, /^Freed 0\.0 MB in 0 file\(s\) of 0 finished sweep\(s\)\.$/m);
});
