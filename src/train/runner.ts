/**
 * Runs one trial's training in a child process, off the caller's event loop: tfjs work is
 * synchronous, and a Temporal worker must keep polling, heartbeating and receiving cancellation
 * while a trial trains. A process (rather than a worker thread) also contains native backend
 * crashes and out-of-memory kills to the one trial, and can always be killed.
 *
 * Training processes are warm and reused: starting Node, tsx and tfjs costs ~0.8 s of CPU, more
 * than a tiny trial trains. `keepTrainingProcessesWarm(n)` keeps one ready per slot; a process that
 * finished a trial cleanly serves the next one, and is recycled (a fresh one replaces it) after an
 * error, a cancel, a kill, a change of backend, or MAX_TRIALS_PER_PROCESS trials.
 *
 * Protocol (structured-clone IPC), per trial: the parent sends `start` with the request, later maybe
 * `cancel`; the child answers `started`, `epoch`..., `log`..., then exactly one `result` or `error`,
 * and waits for the next `start`. Disconnecting the IPC channel ends the child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { isSuppressedTensorFlowLine, trainingProcessEnv } from './backend-name.js';
import type { BackendName, BackendRuntime, EpochMetrics, TrainRequest, TrainResult } from './types.js';

export type ParentMessage = { type: 'start'; request: TrainRequest } | { type: 'cancel' };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type ChildMessage =
  | { type: 'started'; backend: BackendName; paramCount: number; runtime: BackendRuntime }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'log'; line: string }
  | { type: 'warning'; line: string }
  | { type: 'result'; result: TrainResult }
  | { type: 'error'; error: SerializedError };

/** What the child reports once its backend is up: `runtime` says which TensorFlow (or tfjs) and device. */
export interface TrainingStarted {
  backend: BackendName;
  paramCount: number;
  runtime: BackendRuntime;
}

export interface RunTrainingOptions {
  /** Once the child has chosen its backend, before the first epoch. */
  onStart?(info: TrainingStarted): void | Promise<void>;
  /** After each epoch (its checkpoint is stored). Callbacks run one at a time, in order. */
  onEpoch?(metrics: EpochMetrics): void | Promise<void>;
  /** The child's log lines and its stdout/stderr, line by line. */
  onLog?: (line: string) => void;
  /** Lines the operator must see (a full disk); to onLog when absent. */
  onWarning?: (line: string) => void;
  /** Abort = stop between batches (status 'cancelled', checkpoint kept); killed after `killAfterMs`. */
  signal?: AbortSignal;
  /** Grace period after an abort before SIGKILL. Default 30 s. */
  killAfterMs?: number;
}

/**
 * A training failure reported by (or about) the child, named as the child's error was (a
 * NonFiniteLossError stays permanent, see src/domain/permanent-errors.ts); a crash or kill is not.
 */
export class TrainingError extends Error {
  constructor(name: string, message: string, stack?: string) {
    super(message);
    this.name = name;
    if (stack) this.stack = stack;
  }
}

const CHILD_ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url));
const STDERR_TAIL_LINES = 20;
/** A reused process is replaced after this many trials, so slow leaks (tfjs, V8 heap) stay bounded. */
export const MAX_TRIALS_PER_PROCESS = 200;

/** What the current trial of a process listens to. */
interface TrialListener {
  message(message: ChildMessage): void;
  line(line: string, stream: 'stdout' | 'stderr'): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
}

/** One training process and the trial it serves, if any. */
class TrainingProcess {
  readonly child: ChildProcess;
  trials = 0;
  backend: BackendName | 'auto' | undefined;
  listener: TrialListener | undefined;
  exited = false;

  constructor() {
    forked++;
    // The child loads TypeScript through tsx, resolved from here so any cwd works. The environment
    // carries TensorFlow's thread and log settings (read when its library loads): the cores are
    // shared by as many processes as there are training slots.
    const env = trainingProcessEnv(process.env, warmTarget);
    this.child = fork(CHILD_ENTRY, [], { execArgv: ['--import', import.meta.resolve('tsx')], serialization: 'advanced', silent: true, env });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.listener?.line(line, 'stdout'));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.listener?.line(line, 'stderr'));
    this.child.on('message', (message: ChildMessage) => this.listener?.message(message));
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      removeIdle(this);
      this.listener?.exit(code, signal);
    });
    // Without an 'error' listener a failed fork or send would throw; the exit handler reports it.
    this.child.on('error', () => {});
    this.setReferenced(false);
  }

  get usable(): boolean {
    return !this.exited && this.child.connected && this.trials < MAX_TRIALS_PER_PROCESS;
  }

  /** An idle process holds no reference on this process's event loop, so it never keeps it alive. */
  setReferenced(referenced: boolean): void {
    for (const handle of [this.child, this.child.channel, this.child.stdout, this.child.stderr] as ({ ref?(): void; unref?(): void } | null | undefined)[]) {
      if (referenced) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  retire(): void {
    removeIdle(this);
    if (this.child.connected) this.child.disconnect();
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

const idle: TrainingProcess[] = [];
let busy = 0;
let warmTarget = 1;
let forked = 0;

/** Training processes started by this process so far (tests and benchmarks check reuse with it). */
export const trainingProcessesForked = () => forked;

function removeIdle(proc: TrainingProcess): void {
  const at = idle.indexOf(proc);
  if (at >= 0) idle.splice(at, 1);
}

/** Forks processes until `warmTarget` are idle or busy. */
function topUp(): void {
  while (idle.length + busy < warmTarget) idle.push(new TrainingProcess());
}

/** Keep `slots` training processes ready (one per trial the worker trains at once). */
export function keepTrainingProcessesWarm(slots: number): void {
  warmTarget = Math.max(1, slots);
  topUp();
}

/** Ends every idle training process (a worker shutting down); busy ones end with their trial. */
export function stopTrainingProcesses(): void {
  warmTarget = 0;
  for (const proc of idle.splice(0)) proc.retire();
}

function takeTrainingProcess(backend: BackendName | 'auto'): TrainingProcess {
  // A process that trained on another backend is recycled: tfjs keeps one backend per proc.
  let taken: TrainingProcess | undefined;
  while (!taken && idle.length > 0) {
    const candidate = idle.shift()!;
    if (candidate.usable && (candidate.backend === undefined || candidate.backend === backend)) taken = candidate;
    else candidate.retire();
  }
  taken ??= new TrainingProcess();
  taken.setReferenced(true);
  taken.backend = backend;
  busy++;
  return taken;
}

/** Back to the pool after a clean trial; otherwise retired (state unknown) and replaced. */
function releaseTrainingProcess(proc: TrainingProcess, clean: boolean): void {
  busy--;
  proc.listener = undefined;
  proc.trials++;
  proc.setReferenced(false);
  if (clean && proc.usable && idle.length + busy < warmTarget) idle.push(proc);
  else proc.retire();
  topUp();
}

export function runTraining(request: TrainRequest, options: RunTrainingOptions = {}): Promise<TrainResult> {
  const { signal, onLog, killAfterMs = 30_000 } = options;
  if (signal?.aborted) return Promise.reject(abortError('training was aborted before it started'));
  return new Promise<TrainResult>((resolve, reject) => {
    const proc = takeTrainingProcess(request.backend);
    const { child } = proc;
    const tfLogLevel = trainingProcessEnv().TF_CPP_MIN_LOG_LEVEL;
    const stderrTail: string[] = [];

    let settled = false;
    let outcome: { result: TrainResult } | { error: Error } | undefined;
    let callbackError: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    // Callbacks run in order; the promise settles only after the last one has finished.
    let callbacks: Promise<void> = Promise.resolve();
    const enqueue = (callback: () => void | Promise<void>) => {
      callbacks = callbacks.then(callback).catch((err: unknown) => {
        // A failing callback (say, the results store is down) ends the trial with its error.
        callbackError ??= err instanceof Error ? err : new Error(String(err));
        proc.kill();
      });
    };
    const fail = (error: Error) => {
      outcome ??= { error };
    };
    const settle = () => {
      void callbacks.then(() => {
        if (settled) return;
        settled = true;
        clearTimeout(killTimer);
        signal?.removeEventListener('abort', onAbort);
        const clean = !callbackError && !aborted && outcome !== undefined && 'result' in outcome;
        releaseTrainingProcess(proc, clean);
        if (callbackError) reject(callbackError);
        else if (outcome && 'result' in outcome) resolve(outcome.result);
        else reject(outcome?.error ?? new Error('training process ended without a result'));
      });
    };

    let aborted = false;
    const onAbort = () => {
      aborted = true;
      if (child.connected) child.send({ type: 'cancel' } satisfies ParentMessage);
      killTimer = setTimeout(() => {
        fail(abortError(`training did not stop within ${killAfterMs} ms of the abort and was killed`));
        proc.kill();
      }, killAfterMs);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    proc.listener = {
      message(message) {
        switch (message.type) {
          case 'started':
            enqueue(() => options.onStart?.({ backend: message.backend, paramCount: message.paramCount, runtime: message.runtime }));
            break;
          case 'epoch':
            enqueue(() => options.onEpoch?.(message.metrics));
            break;
          case 'log':
            onLog?.(message.line);
            break;
          case 'warning':
            (options.onWarning ?? onLog)?.(message.line);
            break;
          case 'result':
            outcome ??= { result: message.result };
            settle();
            break;
          case 'error':
            fail(deserializeError(message.error));
            settle();
            break;
        }
      },
      line(line, stream) {
        if (stream === 'stderr') {
          stderrTail.push(line);
          if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
          if (isSuppressedTensorFlowLine(line, tfLogLevel)) return;
        }
        onLog?.(line);
      },
      exit(code, exitSignal) {
        if (!outcome) {
          const how = exitSignal ? `was killed by ${exitSignal}` : `exited with code ${code}`;
          const tail = stderrTail.length > 0 ? `; last output:\n${stderrTail.join('\n')}` : '';
          fail(new TrainingError('TrainingProcessExited', `training process ${how} without a result (out of memory?)${tail}`));
        }
        settle();
      },
    };
    if (proc.exited) {
      proc.listener.exit(proc.child.exitCode, proc.child.signalCode);
      return;
    }
    child.send({ type: 'start', request } satisfies ParentMessage, (err) => {
      if (err) {
        fail(new TrainingError('TrainingProcessError', `training process failed: ${err.message}`));
        proc.kill();
      }
    });
  });
}

function deserializeError(error: SerializedError): Error {
  // A UserError stays one, so callers keep treating it as bad input.
  if (error.name === 'UserError') return new UserError(error.message);
  return new TrainingError(error.name, error.message, error.stack);
}

function abortError(message: string): TrainingError {
  return new TrainingError('AbortError', message);
}
