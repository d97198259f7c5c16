/**
 * `npm test`: starts ONE real Temporal dev server (with its Web UI, for the browser test) and ONE real PostgreSQL for the whole run (ephemeral
 * ports, temp dirs), runs every test file with Node's test runner against them, and tears both down.
 * Optional arguments filter test files by substring: `npm test -- metrics db-`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from '../src/stack/postgres.js';
import { startTemporalDevServer } from '../src/stack/temporal.js';
import { TEST_LIMITS } from './support/test-limits.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);
const files = ['unit', 'integration']
  .flatMap((dir) =>
    readdirSync(path.join(root, 'test', dir))
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => path.join('test', dir, f)),
  )
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(2);
}

const home = mkdtempSync(path.join(tmpdir(), 'danq-sweep-test-'));
const needsServers = files.some((f) => f.includes('integration'));
const started = Date.now();
const temporal = needsServers ? await startTemporalDevServer({ dataDir: path.join(home, 'temporal'), port: 0, uiPort: 0 }) : undefined;
const postgres = needsServers ? await startEmbeddedPostgres({ dataDir: path.join(home, 'postgres'), port: 0 }) : undefined;
if (needsServers) console.log(`# servers up in ${Date.now() - started} ms: Temporal ${temporal!.address} (UI ${temporal!.uiUrl}), PostgreSQL ${postgres!.url}`);

let code = 1;
try {
  code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', ...TEST_LIMITS, ...files], {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        SWEEP_HOME: path.join(home, 'sweep'),
        ...(temporal && { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_UI_URL: temporal.uiUrl ?? '' }),
        ...(postgres && { DATABASE_URL: postgres.url }),
      },
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
} finally {
  await temporal?.stop();
  await postgres?.stop();
  rmSync(home, { recursive: true, force: true });
}
process.exit(code);
