/**
 * Runs one trial's training in a child process, off the caller's event loop: tfjs work is
 * synchronous, and a Temporal worker must keep polling, heartbeating and receiving cancellation
 * while a trial trains. A process (rather than a worker thread) also contains native backend
 * crashes and out-of-memory kills to the one trial, and can always be killed.
 *
 * Training processes are warm and reused: starting Node, tsx and tfjs-node costs seconds of CPU,
 * more than a small trial trains. `TrainingProcessPool.keepWarm(n, backend)` keeps one ready per
 * slot, its backend's library loaded; a process that finished a trial cleanly serves the next one,
 * and is recycled (a fresh one replaces it) after an error, a cancel, a kill, a change of backend,
 * or MAX_TRIALS_PER_PROCESS trials. A trial starts from its own checkpoint or seed, never from a
 * previous trial's state, so a reused process trains exactly as a fresh one.
 *
 * Protocol (structured-clone IPC): once forked, the parent sends `warm-up` (maybe with a backend to
 * load) and the child answers `ready`. Per trial: the parent sends `start` with the request, later
 * maybe `cancel`; the child answers `started`, `epoch`..., `log`..., then exactly one `result` or
 * `error`, and waits for the next `start`. Disconnecting the IPC channel ends the child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { isSuppressedTensorFlowLine, trainingProcessEnv } from './process-env.js';
import { wallClockMs } from './phase-clock.js';
import type { BackendName, BackendRuntime, EpochMetrics, TrainRequest, TrainResult } from './types.js';

/** `sentAt` (wallClockMs) lets the child time how long the request waited for it (processWait). */
export type ParentMessage = { type: 'warm-up'; backend: BackendName | 'auto' | undefined } | { type: 'start'; request: TrainRequest; sentAt: number } | { type: 'cancel' };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type ChildMessage =
  | { type: 'ready'; backend: BackendName | undefined }
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
  /** The backend asked of it (preloaded or its last trial's); a request for another one recycles it. */
  backend: BackendName | 'auto' | undefined;
  /** The backend it has loaded, once it said so. */
  loaded: BackendName | undefined;
  /** Ready to train: modules and (when preloaded) the backend's library are loaded. */
  warm = false;
  listener: TrialListener | undefined;
  exited = false;

  constructor(env: Record<string, string | undefined>, preload: BackendName | 'auto' | undefined, onExit: (proc: TrainingProcess) => void) {
    // The child loads TypeScript through tsx, resolved from here so any cwd works.
    this.child = fork(CHILD_ENTRY, [], { execArgv: ['--import', import.meta.resolve('tsx')], serialization: 'advanced', silent: true, env });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.listener?.line(line, 'stdout'));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.listener?.line(line, 'stderr'));
    this.child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        this.warm = true;
        this.loaded = message.backend;
      } else this.listener?.message(message);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      onExit(this);
      this.listener?.exit(code, signal);
    });
    // Without an 'error' listener a failed fork or send would throw; the exit handler reports it.
    this.child.on('error', () => {});
    this.setReferenced(false);
    this.backend = preload;
    this.send({ type: 'warm-up', backend: preload });
  }

  usable(maxTrials: number): boolean {
    return !this.exited && this.child.connected && this.trials < maxTrials;
  }

  /** Serves a request for `backend`: the one it was asked for, or the one that request resolved to. */
  serves(backend: BackendName | 'auto'): boolean {
    return this.backend === undefined || this.backend === backend || this.loaded === backend;
  }

  send(message: ParentMessage, onError?: (err: Error) => void): void {
    this.child.send(message, (err) => {
      if (err) onError?.(err);
    });
  }

  /** An idle process holds no reference on this process's event loop, so it never keeps it alive. */
  setReferenced(referenced: boolean): void {
    for (const handle of [this.child, this.child.channel, this.child.stdout, this.child.stderr] as ({ ref?(): void; unref?(): void } | null | undefined)[]) {
      if (referenced) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  /** Ends it once it is idle: disconnecting the IPC channel ends the child. */
  retire(): void {
    if (this.child.connected) this.child.disconnect();
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/**
 * The training processes of this process: `slots` kept warm (forked, with their backend loaded)
 * for the next trials, each trial on one of them, a process reused after a clean trial and
 * replaced otherwise (see the top of this file).
 */
export class TrainingProcessPool {
  private readonly idle: TrainingProcess[] = [];
  private busy = 0;
  private target = 1;
  private preload: BackendName | 'auto' | undefined;
  private forkedCount = 0;

  constructor(private readonly maxTrialsPerProcess = MAX_TRIALS_PER_PROCESS) {}

  /** Training processes forked so far (tests and benchmarks check reuse with it). */
  get forked(): number {
    return this.forkedCount;
  }

  /** Idle processes ready to train at once: modules loaded, and the backend kept warm when one was given. */
  get warm(): number {
    return this.idle.filter((proc) => proc.warm && (this.preload === undefined || proc.loaded !== undefined)).length;
  }

  /**
   * Keeps `slots` training processes ready (one per trial trained at once); with `backend`, each
   * loads that backend's library while it waits, so a trial's first epoch does not.
   */
  keepWarm(slots: number, backend?: BackendName | 'auto'): void {
    this.target = Math.max(1, slots);
    if (backend !== undefined && backend !== this.preload) {
      this.preload = backend;
      // Idle processes without it (or with another one) make way for ones that load it.
      for (const proc of this.idle.filter((p) => p.backend !== backend)) this.remove(proc);
    }
    this.topUp();
  }

  /** Ends every idle training process (shutting down); busy ones end with their trial. */
  stop(): void {
    this.target = 0;
    for (const proc of this.idle.splice(0)) proc.retire();
  }

  /** Trains `request` on a warm (or new) process; resolves with its result once every callback has run. */
  run(request: TrainRequest, options: RunTrainingOptions = {}): Promise<TrainResult> {
    if (options.signal?.aborted) return Promise.reject(abortError('training was aborted before it started'));
    const tfLogLevel = trainingProcessEnv().TF_CPP_MIN_LOG_LEVEL;
    const proc = this.take(request.backend);
    const trial = new TrialRun(proc, options, tfLogLevel, (clean) => this.release(proc, clean));
    trial.start(request);
    return trial.result;
  }

  private fork(backend = this.preload): TrainingProcess {
    this.forkedCount++;
    // TensorFlow's thread and log settings are read when its library loads: the cores are shared
    // by as many processes as there are training slots.
    return new TrainingProcess(trainingProcessEnv(process.env, this.target), backend, (proc) => this.removeIdle(proc));
  }

  /** Forks processes until `target` are idle or busy. */
  private topUp(): void {
    while (this.idle.length + this.busy < this.target) this.idle.push(this.fork());
  }

  private take(backend: BackendName | 'auto'): TrainingProcess {
    // A process that loaded another backend is recycled: tfjs keeps one backend per process.
    let taken: TrainingProcess | undefined;
    while (!taken && this.idle.length > 0) {
      const candidate = this.idle.shift()!;
      if (candidate.usable(this.maxTrialsPerProcess) && candidate.serves(backend)) taken = candidate;
      else candidate.retire();
    }
    taken ??= this.fork(backend);
    taken.setReferenced(true);
    taken.backend = backend;
    this.busy++;
    return taken;
  }

  /** Back to the pool after a clean trial; otherwise retired (state unknown) and replaced. */
  private release(proc: TrainingProcess, clean: boolean): void {
    this.busy--;
    proc.listener = undefined;
    proc.trials++;
    proc.setReferenced(false);
    if (clean && proc.usable(this.maxTrialsPerProcess) && this.idle.length + this.busy < this.target) this.idle.push(proc);
    else proc.retire();
    this.topUp();
  }

  private remove(proc: TrainingProcess): void {
    this.removeIdle(proc);
    proc.retire();
  }

  private removeIdle(proc: TrainingProcess): void {
    const at = this.idle.indexOf(proc);
    if (at >= 0) this.idle.splice(at, 1);
  }
}

/**
 * One trial on one training process: relays the child's messages to the caller's callbacks, in
 * order, turns an abort into a cancel (and a kill after the grace period), and settles once, after
 * the last callback, handing the process back clean or not.
 */
class TrialRun implements TrialListener {
  readonly result: Promise<TrainResult>;
  private resolve!: (result: TrainResult) => void;
  private reject!: (err: Error) => void;
  private outcome: { result: TrainResult } | { error: Error } | undefined;
  private callbackError: Error | undefined;
  // Callbacks run in order; the trial settles only after the last one has finished.
  private callbacks: Promise<void> = Promise.resolve();
  private killTimer: NodeJS.Timeout | undefined;
  private aborted = false;
  private settled = false;
  private readonly stderrTail: string[] = [];
  private readonly onAbort = () => this.abort();

  constructor(
    private readonly proc: TrainingProcess,
    private readonly options: RunTrainingOptions,
    private readonly tfLogLevel: string | undefined,
    private readonly done: (clean: boolean) => void,
  ) {
    this.result = new Promise<TrainResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  start(request: TrainRequest): void {
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.proc.listener = this;
    if (this.proc.exited) {
      this.exit(this.proc.child.exitCode, this.proc.child.signalCode);
      return;
    }
    this.proc.send({ type: 'start', request, sentAt: wallClockMs() }, (err) => {
      this.fail(new TrainingError('TrainingProcessError', `training process failed: ${err.message}`));
      this.proc.kill();
    });
  }

  message(message: ChildMessage): void {
    const { options } = this;
    switch (message.type) {
      case 'started':
        this.enqueue(() => options.onStart?.({ backend: message.backend, paramCount: message.paramCount, runtime: message.runtime }));
        break;
      case 'epoch':
        this.enqueue(() => options.onEpoch?.(message.metrics));
        break;
      case 'log':
        options.onLog?.(message.line);
        break;
      case 'warning':
        (options.onWarning ?? options.onLog)?.(message.line);
        break;
      case 'result':
        this.outcome ??= { result: message.result };
        this.settle();
        break;
      case 'error':
        this.fail(deserializeError(message.error));
        this.settle();
        break;
    }
  }

  line(line: string, stream: 'stdout' | 'stderr'): void {
    if (stream === 'stderr') {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      if (isSuppressedTensorFlowLine(line, this.tfLogLevel)) return;
    }
    this.options.onLog?.(line);
  }

  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.outcome) {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const tail = this.stderrTail.length > 0 ? `; last output:\n${this.stderrTail.join('\n')}` : '';
      this.fail(new TrainingError('TrainingProcessExited', `training process ${how} without a result (out of memory?)${tail}`));
    }
    this.settle();
  }

  private abort(): void {
    const killAfterMs = this.options.killAfterMs ?? 30_000;
    this.aborted = true;
    if (this.proc.child.connected) this.proc.send({ type: 'cancel' });
    this.killTimer = setTimeout(() => {
      this.fail(abortError(`training did not stop within ${killAfterMs} ms of the abort and was killed`));
      this.proc.kill();
    }, killAfterMs);
  }

  private enqueue(callback: () => void | Promise<void>): void {
    this.callbacks = this.callbacks.then(callback).catch((err: unknown) => {
      // A failing callback (say, the results store is down) ends the trial with its error.
      this.callbackError ??= err instanceof Error ? err : new Error(String(err));
      this.proc.kill();
    });
  }

  private fail(error: Error): void {
    this.outcome ??= { error };
  }

  private settle(): void {
    void this.callbacks.then(() => {
      if (this.settled) return;
      this.settled = true;
      clearTimeout(this.killTimer);
      this.options.signal?.removeEventListener('abort', this.onAbort);
      const { outcome, callbackError } = this;
      this.done(!callbackError && !this.aborted && outcome !== undefined && 'result' in outcome);
      if (callbackError) this.reject(callbackError);
      else if (outcome && 'result' in outcome) this.resolve(outcome.result);
      else this.reject(outcome?.error ?? new Error('training process ended without a result'));
    });
  }
}

/** This process's training processes (workers keep them warm; the CLI warms them while the stack starts). */
export const trainingProcesses = new TrainingProcessPool();

/** Trains `request` on one of this process's training processes. */
export function runTraining(request: TrainRequest, options: RunTrainingOptions = {}): Promise<TrainResult> {
  return trainingProcesses.run(request, options);
}

function deserializeError(error: SerializedError): Error {
  // A UserError stays one, so callers keep treating it as bad input.
  if (error.name === 'UserError') return new UserError(error.message);
  return new TrainingError(error.name, error.message, error.stack);
}

function abortError(message: string): TrainingError {
  return new TrainingError('AbortError', message);
}
