import { printJson } from './command.js';
import { printLeaderboard, type SweepReport } from './report.js';

/** Exit code of `sweep start` and `sweep status` for a sweep that ended 'failed'. */
export const SWEEP_FAILED_EXIT = 3;

/**
 * What a finished (or still running) sweep means for the user: the line that says why it failed or
 * how many trials failed, and the exit code. A sweep is failed when its row says so (with the reason
 * its workflow recorded: no trial result, or a step such as the model export that failed), or when it
 * completed without a single trial result; then the command exits SWEEP_FAILED_EXIT. Otherwise failed
 * trials are counted (the best comes from the others) and the exit code is 0; cancelled and running
 * sweeps exit 0.
 */
export function sweepOutcome(report: SweepReport, workflowFailure?: string): { exitCode: number; message: string | undefined } {
  const total = report.trials.length;
  const failed = report.trials.filter((t) => t.status === 'failed').length;
  const withResult = report.trials.filter((t) => t.valAuc !== null).length;
  if (report.status === 'failed' || (report.status === 'completed' && withResult === 0)) {
    const noResult = `none of its ${total} trial(s) produced a result (${failed} failed; reasons above)`;
    const why = withResult === 0 ? noResult : (report.failureReason ?? 'no reason was recorded');
    return { exitCode: SWEEP_FAILED_EXIT, message: `error: sweep ${report.sweepId} failed: ${why}` };
  }
  // A workflow that failed without recording it (terminated from the UI, say).
  if (workflowFailure !== undefined) return { exitCode: SWEEP_FAILED_EXIT, message: `error: sweep ${report.sweepId} failed: ${workflowFailure}` };
  if (failed > 0) {
    return { exitCode: 0, message: `warning: ${failed} of ${total} trial(s) failed (reasons above); the best is chosen from the ${withResult} with a result` };
  }
  return { exitCode: 0, message: undefined };
}

/**
 * The end of `sweep start`, `retry` and `status`: the report (JSON, or the leaderboard and then
 * `afterLeaderboard`), the outcome's line on stderr; returns the exit code.
 */
export function printSweepEnd(report: SweepReport, options: { json: boolean; workflowFailure?: string; afterLeaderboard?: () => void }): number {
  if (options.json) printJson(report);
  else printLeaderboard(report);
  options.afterLeaderboard?.();
  const outcome = sweepOutcome(report, options.workflowFailure);
  if (outcome.message) process.stderr.write(outcome.message + '\n');
  return outcome.exitCode;
}
