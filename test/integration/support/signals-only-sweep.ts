/**
 * A sweep workflow as worker builds before the pause and resume updates knew it: the pause and
 * resume signals and the progress query, no update handlers. Ends once it has been paused and resumed.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { pauseSignal, progressQuery, resumeSignal, type SweepStatus } from '../../../workflows/types.js';

export async function signalsOnlySweep(sweepId: string): Promise<SweepStatus[]> {
  let status: SweepStatus = 'running';
  const seen: SweepStatus[] = [];
  const set = (next: SweepStatus) => void seen.push((status = next));
  setHandler(pauseSignal, () => set('paused'));
  setHandler(resumeSignal, () => set('running'));
  setHandler(progressQuery, () => ({ sweepId, status, totalTrials: 0, running: [], counts: { completed: 0, 'early-stopped': 0, failed: 0, cancelled: 0 } }));
  await condition(() => seen.includes('paused') && status === 'running');
  return seen;
}
