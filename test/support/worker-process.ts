/**
 * A real `sweep worker` process, as an operator would run one: in its own process group, so that a
 * signal to the group also reaches its training children (a SIGKILLed machine takes both).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { sweepBin } from './cli.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** The worker identity it printed ("worker <identity>: ..."), recorded on trial and epoch rows. */
  identity: string;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Epochs it finished training, per trial id, in order (from its "[trial] epoch N: ..." lines). */
  epochs: Map<string, number[]>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal to the worker (and, with group, to its whole process group). */
  kill(signal: NodeJS.Signals, options?: { group?: boolean }): void;
}

/** A worker is ready in seconds; past this it is stuck and the test says so instead of hanging. */
const WORKER_READY_TIMEOUT_MS = 120_000;

export async function startWorkerProcess(options: { env: NodeJS.ProcessEnv; cwd: string; queue: 'train' | 'orchestration' | 'all'; concurrency?: number }): Promise<WorkerProcess> {
  const args = [sweepBin, 'worker', '--queue', options.queue, '--concurrency', String(options.concurrency ?? 1)];
  const child = spawn(process.execPath, args, { env: options.env, cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let output = '';
  const epochs = new Map<string, number[]>();
  let partial = '';
  const onData = (d: Buffer) => {
    output += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const match = /^\[(\S+)\] epoch (\d+): /.exec(line);
      if (match) epochs.set(match[1]!, [...(epochs.get(match[1]!) ?? []), Number(match[2])]);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const identity = await new Promise<string>((resolve, reject) => {
    const stuck = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`sweep worker printed no "worker <identity>:" line within ${WORKER_READY_TIMEOUT_MS / 1000} s:\n${output}`));
    }, WORKER_READY_TIMEOUT_MS).unref();
    const check = () => {
      const match = /^worker (\S+): /m.exec(output);
      if (!match) return;
      clearTimeout(stuck);
      resolve(match[1]!);
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    void exited.then(({ code, signal }) => reject(new Error(`sweep worker exited (${signal ?? code}) before it was ready:\n${output}`)));
  });
  return {
    child,
    identity,
    output: () => output,
    epochs,
    exited,
    kill(signal, { group = false } = {}) {
      try {
        process.kill(group ? -child.pid! : child.pid!, signal);
      } catch {
        /* already gone */
      }
    },
  };
}
