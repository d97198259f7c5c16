import type { WorkflowHandle } from '@temporalio/client';
import type { sweepWorkflow } from '../../workflows/sweep.js';
import { progressQuery, type SweepProgress, type SweepResult } from '../../workflows/types.js';

/**
 * Live sweep progress: a redrawn bar on a TTY, a plain line per change otherwise (logs, CI).
 * `null` output = silent (--json mode).
 */
export class ProgressView {
  private readonly started = Date.now();
  /** Trials already done when this view first saw the sweep (a re-attached watch), for the ETA. */
  private doneAtStart: number | undefined;
  private lastLine = '';
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream | null,
    private readonly total: number,
  ) {}

  update(p: SweepProgress): void {
    if (!this.out) return;
    const c = p.counts;
    const done = c.completed + c['early-stopped'] + c.failed + c.cancelled;
    this.doneAtStart ??= done;
    const elapsed = (Date.now() - this.started) / 1000;
    const doneHere = done - this.doneAtStart;
    const eta = doneHere > 0 && done < this.total ? ` ETA ${formatSeconds((elapsed / doneHere) * (this.total - done))}` : '';
    const best = p.best ? ` best val AUC ${p.best.valAuc.toFixed(4)} (trial ${p.best.trial})` : '';
    const text = `${done}/${this.total} done, ${p.running.length} running, ${c.failed} failed${best}${eta}${p.status === 'paused' ? ' [paused]' : ''}`;
    if (this.out.isTTY) {
      const width = 24;
      const filled = Math.round((done / Math.max(1, this.total)) * width);
      this.out.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`);
      this.drawn = true;
    } else if (text.replace(/ ETA .*/, '') !== this.lastLine) {
      this.lastLine = text.replace(/ ETA .*/, '');
      this.out.write(`[${formatSeconds(elapsed)}] ${text}\n`);
    }
  }

  finish(): void {
    if (this.out?.isTTY && this.drawn) this.out.write('\n');
  }
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A sweep workflow that failed: its reason (the workflow also records it on the sweep's row, unless it was terminated). */
export interface SweepWorkflowFailed {
  failed: string;
}

/**
 * Shows a sweep's progress until its workflow returns or fails, or until Ctrl-C ('interrupted': the
 * sweep itself goes on, durable in Temporal).
 */
export async function followSweep(handle: WorkflowHandle<typeof sweepWorkflow>, view: ProgressView): Promise<SweepResult | SweepWorkflowFailed | 'interrupted'> {
  // One query at a time, and the last one awaited before returning: a query the client is still
  // retrying when the caller closes the connection would throw from its retry timer, uncaught.
  let inFlight: Promise<void> | undefined;
  const refresh = () =>
    (inFlight ??= handle
      .query(progressQuery)
      .then(
        (p) => view.update(p),
        () => {},
      )
      .finally(() => (inFlight = undefined)));
  let onInterrupt = () => {};
  const interrupted = new Promise<'interrupted'>((resolve) => (onInterrupt = () => resolve('interrupted')));
  process.once('SIGINT', onInterrupt);
  const poll = setInterval(() => void refresh(), 1000);
  let outcome: SweepResult | SweepWorkflowFailed | 'interrupted' | undefined;
  try {
    outcome = await Promise.race([handle.result(), interrupted]).catch(async (err: unknown) => {
      // Loaded by the session already: this import is free, and keeps the SDK out of the CLI's start.
      const { WorkflowFailedError } = await import('@temporalio/client');
      if (err instanceof WorkflowFailedError) return { failed: err.cause?.message ?? err.message };
      throw err;
    });
    return outcome;
  } finally {
    clearInterval(poll);
    process.removeListener('SIGINT', onInterrupt);
    // Draw the final counts: the result usually arrives between two polls.
    if (outcome !== undefined && outcome !== 'interrupted') await refresh();
    await inFlight;
    view.finish();
  }
}
