/**
 * Runs one trial's training in a child process, off the caller's event loop: tfjs work is
 * synchronous, and a Temporal worker must keep polling, heartbeating and receiving cancellation
 * while a trial trains. A process (rather than a worker thread) also contains native backend
 * crashes and out-of-memory kills to the one trial, and can always be killed.
 *
 * Protocol (structured-clone IPC): the parent sends `start` with the request, later maybe
 * `cancel`; the child answers `started`, `epoch`..., `log`..., then exactly one `result` or
 * `error`, and exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import type { BackendName, EpochMetrics, TrainRequest, TrainResult } from './types.js';

export type ParentMessage = { type: 'start'; request: TrainRequest } | { type: 'cancel' };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  nonRetryable: boolean;
}

export type ChildMessage =
  | { type: 'started'; backend: BackendName; params: number }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'log'; line: string }
  | { type: 'result'; result: TrainResult }
  | { type: 'error'; error: SerializedError };

export interface RunTrainingOptions {
  /** Once the child has chosen its backend, before the first epoch. */
  onStart?(info: { backend: BackendName; params: number }): void | Promise<void>;
  /** After each epoch (its checkpoint is on disk). Callbacks run one at a time, in order. */
  onEpoch?(metrics: EpochMetrics): void | Promise<void>;
  /** The child's log lines and its stdout/stderr, line by line. */
  onLog?(line: string): void;
  /** Abort = stop between batches (status 'cancelled', checkpoint kept); killed after `killAfterMs`. */
  signal?: AbortSignal;
  /** Grace period after an abort before SIGKILL. Default 30 s. */
  killAfterMs?: number;
}

/**
 * A training failure reported by (or about) the child. `nonRetryable` marks deterministic
 * failures that would fail again (non-finite loss, invalid variant); a crash or kill is retryable.
 */
export class TrainingError extends Error {
  constructor(
    name: string,
    message: string,
    readonly nonRetryable: boolean,
    stack?: string,
  ) {
    super(message);
    this.name = name;
    if (stack) this.stack = stack;
  }
}

const CHILD_ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url));
const STDERR_TAIL_LINES = 20;

/**
 * A pre-started training process: starting Node, tsx and tfjs costs ~0.8 s, so the next trial's
 * process starts while the current one trains, and a trial waits only for its backend to initialise.
 * The spare holds no reference on this process's event loop, and exits when this process does.
 */
let spare: ChildProcess | undefined;

function setReferenced(child: ChildProcess, referenced: boolean): void {
  for (const handle of [child, child.channel, child.stdout, child.stderr] as ({ ref?(): void; unref?(): void } | null | undefined)[]) {
    if (referenced) handle?.ref?.();
    else handle?.unref?.();
  }
}

function forkTrainingProcess(): ChildProcess {
  // The child loads TypeScript through tsx, resolved from here so any cwd works.
  return fork(CHILD_ENTRY, [], { execArgv: ['--import', import.meta.resolve('tsx')], serialization: 'advanced', silent: true });
}

function takeTrainingProcess(): ChildProcess {
  const warm = spare !== undefined && spare.connected && spare.exitCode === null && spare.signalCode === null ? spare : undefined;
  const child = warm ?? forkTrainingProcess();
  setReferenced(child, true);
  const next = forkTrainingProcess();
  setReferenced(next, false);
  next.once('exit', () => {
    if (spare === next) spare = undefined;
  });
  spare = next;
  return child;
}

export function runTraining(request: TrainRequest, options: RunTrainingOptions = {}): Promise<TrainResult> {
  const { signal, onLog, killAfterMs = 30_000 } = options;
  if (signal?.aborted) return Promise.reject(abortError('training was aborted before it started'));
  return new Promise<TrainResult>((resolve, reject) => {
    const child = takeTrainingProcess();
    const stderrTail: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => onLog?.(line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      onLog?.(line);
    });

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
        child.kill('SIGKILL');
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
        if (callbackError) reject(callbackError);
        else if (outcome && 'result' in outcome) resolve(outcome.result);
        else reject(outcome?.error ?? new Error('training process ended without a result'));
      });
    };

    const onAbort = () => {
      if (child.connected) child.send({ type: 'cancel' } satisfies ParentMessage);
      killTimer = setTimeout(() => {
        fail(abortError(`training did not stop within ${killAfterMs} ms of the abort and was killed`));
        child.kill('SIGKILL');
      }, killAfterMs);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (message: ChildMessage) => {
      switch (message.type) {
        case 'started':
          enqueue(() => options.onStart?.({ backend: message.backend, params: message.params }));
          break;
        case 'epoch':
          enqueue(() => options.onEpoch?.(message.metrics));
          break;
        case 'log':
          onLog?.(message.line);
          break;
        case 'result':
          outcome ??= { result: message.result };
          break;
        case 'error':
          fail(deserializeError(message.error));
          break;
      }
    });
    child.on('error', (err) => fail(new TrainingError('TrainingProcessError', `training process failed: ${err.message}`, false)));
    child.on('exit', (code, exitSignal) => {
      if (!outcome) {
        const how = exitSignal ? `was killed by ${exitSignal}` : `exited with code ${code}`;
        const tail = stderrTail.length > 0 ? `; last output:\n${stderrTail.join('\n')}` : '';
        fail(new TrainingError('TrainingProcessExited', `training process ${how} without a result (out of memory?)${tail}`, false));
      }
      settle();
    });
    child.send({ type: 'start', request } satisfies ParentMessage);
  });
}

function deserializeError(error: SerializedError): Error {
  // A UserError stays one, so callers keep treating it as bad input.
  if (error.name === 'UserError') return new UserError(error.message);
  return new TrainingError(error.name, error.message, error.nonRetryable, error.stack);
}

function abortError(message: string): TrainingError {
  return new TrainingError('AbortError', message, false);
}
