/**
 * Commands that load the native TensorFlow library (predict, motifs, report) run in a child of the
 * CLI whose standard error passes through a filter: TensorFlow writes its start-up lines (the absl
 * notice, oneDNN, cpu_feature_guard) straight to file descriptor 2 before anything can configure its
 * logging, so only a reader of that stream can drop them, as the runner does for training processes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { STDERR_IS_TERMINAL } from '../predict/progress.js';
import { isSuppressedTensorFlowLine, quietTensorFlowEnv } from '../train/process-env.js';

/** Set in the child, so it runs the command itself. */
const FILTERED = 'SWEEP_TENSORFLOW_STDERR_FILTERED';

export function tensorFlowStderrFiltered(): boolean {
  return process.env[FILTERED] === '1';
}

/** `sweep <argv>` again, with TensorFlow's log level set and its start-up lines taken out of standard error; resolves to its exit code. */
export function runWithTensorFlowQuiet(argv: readonly string[]): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...quietTensorFlowEnv(), [FILTERED]: '1', ...(process.stderr.isTTY && { [STDERR_IS_TERMINAL]: '1' }) };
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('../../bin/sweep.js', import.meta.url)), ...argv], { stdio: ['inherit', 'inherit', 'pipe'], env });
  const level = env.TF_CPP_MIN_LOG_LEVEL;
  let pending = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    const kept = lines.filter((line) => !isSuppressedTensorFlowLine(line, level));
    // A partial line that cannot be TensorFlow's (a progress bar's '\r' redraw) goes out at once.
    const out = kept.map((line) => line + '\n').join('') + (mayBeTensorFlowLine(pending) ? '' : pending);
    if (!mayBeTensorFlowLine(pending)) pending = '';
    if (out) process.stderr.write(out);
  });
  // Ctrl-C reaches both processes (the child decides what it means; the parent waits for it); a SIGTERM for the parent is passed on.
  const ignore = () => {};
  const forward = () => child.kill('SIGTERM');
  process.on('SIGINT', ignore).on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      process.off('SIGINT', ignore).off('SIGTERM', forward);
      if (pending && !isSuppressedTensorFlowLine(pending, level)) process.stderr.write(pending);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}

/** Whether a line so far could still become one of TensorFlow's start-up lines. */
function mayBeTensorFlowLine(start: string): boolean {
  const absl = 'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR';
  return start !== '' && (absl.startsWith(start) || /^[IWEF]\d{0,4}$/.test(start) || /^[IWEF]\d{4} /.test(start));
}
