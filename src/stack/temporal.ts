import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { searchAttributeTypes } from '../../workflows/search-attributes.js';
import { canConnect, freePort, waitUntilUp } from './net.js';

const installScript = fileURLToPath(new URL('../../infra/temporal/install.sh', import.meta.url));

/** Path of the Temporal CLI: TEMPORAL_CLI, PATH, or the project-local build (built on first use). */
export function temporalCliPath(): string {
  try {
    return execFileSync('bash', [installScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    throw new UserError('the Temporal CLI is missing and could not be built; see the message above (or set TEMPORAL_ADDRESS to use an existing cluster)');
  }
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string | null;
  pid: number;
  stop(): Promise<void>;
}

export interface TemporalDevServerOptions {
  /** Folder for the SQLite file and the server log. */
  dataDir: string;
  /** 0 = pick free ports (tests). */
  port: number;
  uiPort: number;
  headless?: boolean;
  namespace?: string;
}

/** Starts `temporal server start-dev` with persistent SQLite state and our search attributes. */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port || (await freePort());
  if (await canConnect('127.0.0.1', port)) {
    throw new UserError(`port ${port} is already in use: set SWEEP_TEMPORAL_PORT to a free port, or TEMPORAL_ADDRESS to use the server that listens there`);
  }
  const uiPort = options.headless ? 0 : options.uiPort || (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', path.join(options.dataDir, 'temporal.sqlite'), '--log-level', 'warn'];
  args.push(...(options.headless ? ['--headless'] : ['--ui-port', String(uiPort)]));
  // SQLite in WAL mode, synced at checkpoints rather than at every commit: each workflow and activity
  // task waited ~10-20 ms for an fsync (bench:overhead). Still durable when the server or any other
  // process crashes; only an OS crash or power loss can roll back the last commits.
  args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const [name, type] of Object.entries(searchAttributeTypes)) args.push('--search-attribute', `${name}=${type}`);

  const log = openSync(path.join(options.dataDir, 'temporal.log'), 'a');
  // Its own process group: a Ctrl-C in the terminal must not kill the server under the workers still
  // shutting down (or under other processes sharing it); stop() ends it, after them.
  const child: ChildProcess = spawn(temporalCliPath(), args, { stdio: ['ignore', log, log], detached: true });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let dead = false;
  void exited.then(() => (dead = true));
  await waitUntilUp(
    'the Temporal dev server',
    async () => {
      if (dead) throw new Error(`the Temporal dev server exited at start; see ${path.join(options.dataDir, 'temporal.log')}`);
      return canConnect('127.0.0.1', port);
    },
    60_000,
  );

  return {
    address: `127.0.0.1:${port}`,
    uiUrl: options.headless ? null : `http://127.0.0.1:${uiPort}`,
    pid: child.pid!,
    async stop() {
      if (dead) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
