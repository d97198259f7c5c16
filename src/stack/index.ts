import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file.js';
import { poll, pollUntil } from '../poll.js';
import { redact, type Config } from '../config/index.js';
import { canConnect, isProcessAlive, splitHostPort } from './net.js';
import { processState, startEmbeddedPostgres } from './postgres.js';
import { startTemporalDevServer } from './temporal.js';

/** Where the CLI and workers connect: an external cluster, or the embedded stack under SWEEP_HOME. */
export interface Stack {
  /** Empty when opened with `temporal: false`. */
  temporalAddress: string;
  namespace: string;
  databaseUrl: string;
  /** The embedded PostgreSQL's read-only role (for the API); undefined with DATABASE_URL. */
  readerDatabaseUrl?: string;
  uiUrl: string | null;
  /** True when a `sweep dev` process already serves workers for this stack. */
  workersRunning: boolean;
  /** Stops only what this process started. */
  close(): Promise<void>;
}

interface StackState {
  /** ownerPid: the process that stops it (absent in state files written before adoption existed). */
  temporal?: { pid: number; address: string; uiUrl: string | null; ownerPid?: number };
  /** Live processes using the embedded servers: the one that started them stops them only after the others leave. */
  users?: number[];
  /** pid of a `sweep dev` that runs workers. */
  devPid?: number;
}

const stateFile = (config: Config) => path.join(config.home, 'stack.json');

function readState(config: Config): StackState {
  try {
    return JSON.parse(readFileSync(stateFile(config), 'utf8')) as StackState;
  } catch {
    return {};
  }
}

function writeState(config: Config, state: StackState): void {
  mkdirSync(config.home, { recursive: true });
  writeFileAtomically(stateFile(config), [Buffer.from(JSON.stringify(state, null, 2))]);
}

/** Serialises embedded-stack start-up between processes (a second `sweep start` waits, then reuses). */
async function withStackLock<T>(config: Config, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(config.home, 'stack.lock');
  mkdirSync(config.home, { recursive: true });
  const acquire = () => {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      return true;
    } catch {
      let holder = NaN;
      try {
        holder = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        /* the holder is between mkdir and writing its pid */
      }
      // A dead holder's lock is removed; the next probe takes it.
      if (Number.isInteger(holder) && !isProcessAlive(holder)) rmSync(lock, { recursive: true, force: true });
      return undefined;
    }
  };
  await pollUntil(acquire, { timeoutMs: 120_000, intervalMs: 200, timeoutError: () => new Error(`timed out waiting for ${lock}; remove it if no sweep process is running`) });
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function runningTemporal(state: StackState) {
  const t = state.temporal;
  if (!t || !isProcessAlive(t.pid)) return undefined;
  const { host, port } = splitHostPort(t.address);
  return (await canConnect(host, port)) ? t : undefined;
}

/**
 * Connects to TEMPORAL_ADDRESS / DATABASE_URL when set; otherwise reuses the embedded servers
 * already running under SWEEP_HOME, or starts them (persistent state in SWEEP_HOME).
 */
export async function openStack(config: Config, options: { log?: (line: string) => void; temporal?: boolean; onStarted?: (server: string, ms: number) => void } = {}): Promise<Stack> {
  const log = options.log ?? (() => {});
  const stops: Array<() => Promise<void>> = [];
  let temporalAddress = config.temporalAddress;
  let uiUrl: string | null = null;
  let databaseUrl = config.databaseUrl;
  let readerDatabaseUrl: string | undefined;
  let workersRunning = false;

  const wantTemporal = !temporalAddress && options.temporal !== false;
  const embedded = wantTemporal || !databaseUrl;
  if (embedded) {
    await withStackLock(config, async () => {
      const state = readState(config);
      const timed = async <T>(server: string, start: () => Promise<T>): Promise<T> => {
        const started = performance.now();
        const result = await start();
        options.onStarted?.(server, performance.now() - started);
        return result;
      };
      // Side by side: each mostly waits for its own server process to come up.
      const [temporal, pg] = await Promise.allSettled([
        wantTemporal ? timed('Temporal dev server', () => embeddedTemporal(config, state, log)) : undefined,
        // Reuses (or adopts) a server already running on the data dir, else starts one.
        databaseUrl ? undefined : timed('PostgreSQL', () => startEmbeddedPostgres({ dataDir: path.join(config.home, 'postgres'), port: config.ports.postgres, log })),
      ]);
      if (temporal.status === 'rejected' || pg.status === 'rejected') {
        // What one of them started is stopped again, so a failed start leaves no server behind.
        if (temporal.status === 'fulfilled') await temporal.value?.stopIfStartedHere();
        if (pg.status === 'fulfilled' && pg.value?.ownership === 'started') await pg.value.stop();
        throw temporal.status === 'rejected' ? temporal.reason : (pg as PromiseRejectedResult).reason;
      }
      if (temporal.value) {
        ({ address: temporalAddress, uiUrl } = temporal.value);
        if (temporal.value.stop) stops.push(temporal.value.stop);
        workersRunning = devServes(state);
      }
      if (pg.value) {
        databaseUrl = pg.value.url;
        readerDatabaseUrl = pg.value.readerUrl;
        const started = pg.value;
        if (started.ownership !== 'shared') stops.push(() => started.stop());
        if (started.ownership === 'started') log(`Started the embedded PostgreSQL at ${redact(started.url)}`);
      }
      state.users = [...liveUsers(state), process.pid];
      writeState(config, state);
    });
  }

  return {
    temporalAddress: temporalAddress ?? '',
    namespace: config.namespace,
    databaseUrl: databaseUrl!,
    readerDatabaseUrl,
    uiUrl,
    workersRunning,
    async close() {
      if (!embedded) return;
      // The servers this process started outlive it while other processes still use them.
      let waiting = false;
      await poll(
        async () => {
          const others = await withStackLock(config, async () => {
            const state = readState(config);
            const users = liveUsers(state);
            if (users.length > 0) state.users = users;
            else delete state.users;
            writeState(config, state);
            return users.length;
          });
          if (stops.length === 0 || others === 0) return true;
          if (!waiting) log(`Waiting for ${others} other process(es) using the embedded stack to finish before stopping it...`);
          waiting = true;
          return undefined;
        },
        { timeoutMs: Infinity, intervalMs: 1000 },
      );
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/**
 * The embedded Temporal dev server: the running one (adopted when its owner died), else a new one;
 * records it in `state`. `stop` is for close(); `stopIfStartedHere` undoes a start when the stack fails to open.
 */
async function embeddedTemporal(config: Config, state: StackState, log: (line: string) => void) {
  const running = await runningTemporal(state);
  if (running && running.ownerPid !== undefined && running.ownerPid !== process.pid && !isProcessAlive(running.ownerPid)) {
    // Its owner died without stopping it (say, a SIGKILLed `sweep start`): adopt it, so it
    // stops when this process is done with it instead of running on as an orphan.
    state.temporal = { ...running, ownerPid: process.pid };
    log(`Adopting the Temporal dev server at ${running.address}, left running by a process that exited (it stops when this command ends)`);
    return { address: running.address, uiUrl: running.uiUrl, stop: stopTemporalAt(config, running.pid), stopIfStartedHere: async () => {} };
  }
  if (running) {
    log(`Reusing the Temporal dev server at ${running.address}`);
    return { address: running.address, uiUrl: running.uiUrl, stop: undefined, stopIfStartedHere: async () => {} };
  }
  const server = await startTemporalDevServer({ dataDir: path.join(config.home, 'temporal'), port: config.ports.temporal, uiPort: config.ports.ui, namespace: config.namespace });
  state.temporal = { pid: server.pid, address: server.address, uiUrl: server.uiUrl, ownerPid: process.pid };
  log(`Started the Temporal dev server at ${server.address} (UI ${server.uiUrl})`);
  const stop = async () => {
    await server.stop();
    await forgetTemporal(config);
  };
  return { address: server.address, uiUrl: server.uiUrl, stop, stopIfStartedHere: () => server.stop() };
}

async function forgetTemporal(config: Config): Promise<void> {
  await withStackLock(config, async () => {
    const latest = readState(config);
    delete latest.temporal;
    writeState(config, latest);
  });
}

/** Stops an adopted Temporal dev server (not our child: signal it and poll), SIGKILL after 10 s. */
function stopTemporalAt(config: Config, pid: number): () => Promise<void> {
  return async () => {
    // An orphan's exit may never be reaped (a container's init may not): a zombie counts as stopped.
    const stopped = () => (processState(pid) === 'running' ? undefined : true);
    for (const [sig, graceMs] of [
      ['SIGTERM', 10_000],
      ['SIGKILL', Infinity],
    ] as const) {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
      if (await poll(stopped, { timeoutMs: graceMs })) break;
    }
    await forgetTemporal(config);
  };
}

/** Registered users still alive, this process excluded. */
function liveUsers(state: StackState): number[] {
  return (state.users ?? []).filter((pid) => pid !== process.pid && isProcessAlive(pid));
}

const devServes = (state: StackState) => state.devPid !== undefined && isProcessAlive(state.devPid);

/** True when a `sweep dev` serves workers for the embedded stack under SWEEP_HOME (read without the stack lock: a hint). */
export function devWorkersRunning(config: Config): boolean {
  return devServes(readState(config));
}

/** Marks this process as the `sweep dev` that serves workers, so `sweep start` does not start its own. */
export function registerDevWorkers(config: Config, pid: number | undefined): void {
  const state = readState(config);
  if (pid === undefined) delete state.devPid;
  else state.devPid = pid;
  writeState(config, state);
}
