/**
 * `npm run test:faults`: the fault scenarios, one file at a time (each starts its own Temporal dev
 * server and PostgreSQL and kills parts of them; timing-sensitive, so never two at once), then the
 * per-scenario table: epochs redone and wall time added over the undisturbed baseline sweep.
 * Optional arguments filter files by substring: `npm run test:faults -- postgres`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alignColumns } from '../../src/cli/report.js';
import type { ScenarioRecord } from './support/invariants.js';
import { TEST_LIMITS } from '../support/test-limits.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(path.join(root, 'test', 'faults'))
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .map((f) => path.join('test', 'faults', f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));

const work = mkdtempSync(path.join(tmpdir(), 'danq-sweep-faults-'));
const results = path.join(work, 'results.jsonl');
const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...TEST_LIMITS, ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FAULTS_RESULTS: results, SWEEP_HOME: path.join(work, 'sweep') },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
});

const records: ScenarioRecord[] = existsSync(results)
  ? readFileSync(results, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ScenarioRecord)
  : [];
const baseline = records.find((r) => r.scenario === 'baseline')?.wallSeconds;
if (records.length > 0) {
  const rows = records.map((r) => [
    r.scenario,
    r.fault,
    String(r.epochsRedone),
    r.wallSeconds.toFixed(1),
    baseline === undefined || r.scenario === 'baseline' ? '-' : (r.wallSeconds - baseline).toFixed(1),
    r.notes ?? '',
  ]);
  console.log('\n# fault scenarios (wall time of the sweep, from sweep start to its last row; machine shared with other jobs)');
  for (const line of alignColumns([['scenario', 'fault', 'epochs redone', 'wall s', 'added s', 'notes'], ...rows], { right: [2, 3, 4] })) console.log(`# ${line}`);
}
rmSync(work, { recursive: true, force: true });
process.exit(code);
