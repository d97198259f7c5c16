import { WorkflowNotFoundError } from '@temporalio/client';
import { UserError } from '../../errors.js';
import { cancelSignal, pauseSignal, resumeSignal } from '../../../workflows/types.js';
import { parseCommandArgs, printJson, type Command } from '../command.js';
import { withSession } from '../session.js';

const signals = { pause: pauseSignal, resume: resumeSignal, cancel: cancelSignal };
const effects = {
  pause: 'no new trials start; running trials finish',
  resume: 'new trials start again',
  cancel: 'running trials stop between batches and are recorded as cancelled',
};

function control(action: keyof typeof signals): Command {
  return {
    usage: `Usage: sweep ${action} SWEEP_ID [--json]\n\nSends the ${action} signal to the sweep workflow: ${effects[action]}.`,
    async run(argv) {
      const { values, positionals } = parseCommandArgs(action, argv, { json: { type: 'boolean' } }, { min: 1, max: 1, names: 'SWEEP_ID' });
      const sweepId = positionals[0]!;
      await withSession(async ({ client }) => {
        try {
          await client.workflow.getHandle(sweepId).signal(signals[action]);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw new UserError(`SWEEP_ID: no running sweep '${sweepId}' (sweep list shows the sweeps)`);
          throw err;
        }
      });
      if (values.json) printJson({ sweepId, signal: action });
      else console.log(`${sweepId}: ${action} sent (${effects[action]})`);
      return 0;
    },
  };
}

export const pause = control('pause');
export const resume = control('resume');
export const cancel = control('cancel');
