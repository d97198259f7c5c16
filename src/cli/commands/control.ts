import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type WorkflowHandle } from '@temporalio/client';
import { UnreachableError, UserError } from '../../errors.js';
import { cancelSignal, pauseSignal, pauseUpdate, resumeSignal, resumeUpdate, type SweepStatus } from '../../../workflows/types.js';
import { parseCommandArgs, printJson, type Command } from '../command.js';
import { withSession, type Session } from '../session.js';

type PauseOrResume = 'pause' | 'resume';

const effects = {
  pause: 'no new trials start; running trials finish',
  resume: 'new trials start again',
  cancel: 'running trials stop between batches and are recorded as cancelled',
};
const updates = { pause: pauseUpdate, resume: resumeUpdate };
const signals = { pause: pauseSignal, resume: resumeSignal, cancel: cancelSignal };

/** How long pause and resume wait for the sweep's worker to answer: an update, unlike a signal, needs a worker polling. */
const UPDATE_ANSWER_MS = 30_000;

const exitCodes = `Exit 2 for a sweep that is unknown, has ended or refuses; 4 when no worker answers within ${UPDATE_ANSWER_MS / 1000} s.`;

function pauseOrResume(action: PauseOrResume): Command {
  return {
    usage: `Usage: sweep ${action} SWEEP_ID [--json]

${action === 'pause' ? 'Pauses a running sweep' : 'Resumes a paused sweep'}: ${effects[action]}. Prints the sweep's new status (--json: {"sweepId", "status"}),
or its reason for refusing: it is ${action === 'pause' ? 'already paused' : 'running, not paused'}; it is cancelled; or it is finishing.
A sweep on a worker from before this answer gets the ${action} signal instead, with a note.

${exitCodes}`,
    async run(argv) {
      const { values, positionals } = parseCommandArgs(action, argv, { json: { type: 'boolean' } }, { min: 1, max: 1, names: 'SWEEP_ID' });
      const sweepId = positionals[0]!;
      const status = await withSession((session) => sendUpdate(session, sweepId, action));
      if (values.json) printJson(status ? { sweepId, status } : { sweepId, signal: action });
      else console.log(status ? `${sweepId}: ${status} (${effects[action]})` : `${sweepId}: ${action} sent (${effects[action]})`);
      return 0;
    },
  };
}

/** The sweep's new status; undefined when its worker predates the updates and got the signal instead. */
async function sendUpdate(session: Session, sweepId: string, action: PauseOrResume): Promise<SweepStatus | undefined> {
  const handle = session.client.workflow.getHandle(sweepId);
  try {
    return await session.client.withDeadline(Date.now() + UPDATE_ANSWER_MS, () => handle.executeUpdate(updates[action]));
  } catch (err) {
    if (isUnhandledUpdate(err, action)) {
      process.stderr.write(`note: sweep ${sweepId} runs on a worker older than the ${action} update; sent the ${action} signal instead (sweep status ${sweepId} shows whether it took effect)\n`);
      await signal(session, handle, sweepId, action);
      return undefined;
    }
    // The validator's reason: the update was refused and nothing changed.
    if (err instanceof WorkflowUpdateFailedError) throw new UserError(`SWEEP_ID: ${err.cause?.message ?? err.message}`);
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw new UnreachableError(
        `SWEEP_ID: no worker answered the ${action} of sweep ${sweepId} within ${UPDATE_ANSWER_MS / 1000} s (is a worker running? sweep dev / sweep worker); it may still apply when one starts`,
      );
    }
    if (err instanceof WorkflowNotFoundError) throw await notRunning(session, sweepId);
    throw err;
  }
}

/**
 * True when the workflow has no handler for the update (a worker from before it). The SDK gives no
 * type or code for this: @temporalio/workflow 1.24 (and its main branch in 2026) rejects such an
 * update with ApplicationFailure.nonRetryable(`No registered handler for update: NAME`), type 'Error',
 * so the message is the only signal.
 */
function isUnhandledUpdate(err: unknown, action: PauseOrResume): boolean {
  return err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.message === `No registered handler for update: ${action}`;
}

async function signal(session: Session, handle: WorkflowHandle, sweepId: string, action: keyof typeof signals): Promise<void> {
  try {
    await handle.signal(signals[action]);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await notRunning(session, sweepId);
    throw err;
  }
}

/** Why a sweep whose workflow is not running cannot be controlled: unknown, or ended (with its recorded status). */
async function notRunning(session: Session, sweepId: string): Promise<UserError> {
  const sweep = await session.db.getSweep(sweepId);
  if (!sweep) return new UserError(`SWEEP_ID: no running sweep '${sweepId}' (sweep list shows the sweeps)`);
  if (sweep.status === 'running' || sweep.status === 'paused')
    return new UserError(`SWEEP_ID: sweep ${sweepId}'s workflow is not running, though its row says ${sweep.status} (terminated from the Temporal UI?)`);
  return new UserError(`SWEEP_ID: sweep ${sweepId} has ended (${sweep.status}); only a running or paused sweep can be paused, resumed or cancelled`);
}

export const pause = pauseOrResume('pause');
export const resume = pauseOrResume('resume');

export const cancel: Command = {
  usage: `Usage: sweep cancel SWEEP_ID [--json]\n\nSends the cancel signal to the sweep workflow: ${effects.cancel}.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('cancel', argv, { json: { type: 'boolean' } }, { min: 1, max: 1, names: 'SWEEP_ID' });
    const sweepId = positionals[0]!;
    await withSession((session) => signal(session, session.client.workflow.getHandle(sweepId), sweepId, 'cancel'));
    if (values.json) printJson({ sweepId, signal: 'cancel' });
    else console.log(`${sweepId}: cancel sent (${effects.cancel})`);
    return 0;
  },
};
