/**
 * One-line summaries that Temporal's UI shows on each bar of a sweep's timeline and in the workflow
 * list (user metadata), and the markdown of the sweep's live state (current details). Pure.
 */
import type { TerminalTrialStatus } from '../src/domain/status.js';
import { formatParamValue } from '../src/domain/params.js';
import type { Params } from '../src/strategy/index.js';
import type { LeaderboardEntry } from './types.js';

/** How a searched field reads in a summary; fields not listed read `name value`. */
const phrasing: Record<string, (value: string) => string> = {
  rnn: (v) => v,
  convFilters: (v) => `${v} filters`,
  convKernel: (v) => `kernel ${v}`,
  poolSize: (v) => `pool ${v}`,
  rnnUnits: (v) => `${v} units`,
  denseUnits: (v) => `dense ${v}`,
  learningRate: (v) => `lr ${v}`,
  batchSize: (v) => `batch ${v}`,
  dropout: (v) => `dropout ${v}`,
};

export function describeParams(params: Params): string {
  return Object.entries(params)
    .map(([name, value]) => (phrasing[name] ?? ((v: string) => `${name} ${v}`))(formatParamValue(value)))
    .join(', ');
}

/** "trial 3: gru, 64 filters, pool 10, lr 3e-3" */
export function trialSummary(trial: number, params: Params): string {
  const described = describeParams(params);
  return described ? `trial ${trial}: ${described}` : `trial ${trial}`;
}

/** "train epochs 1-6 on tfjs-node"; a promotion resumes from its checkpoint: "train on to epoch 6 ..." */
export function trainSummary(untilEpoch: number, resumes: boolean, backend: string): string {
  const on = backend === 'auto' ? "on the worker's backend" : `on ${backend}`;
  return resumes ? `train on to epoch ${untilEpoch} from the checkpoint ${on}` : `train epochs 1-${untilEpoch} ${on}`;
}

export function sweepDetails(state: { status: string; totalTrials: number; running: number; counts: Record<TerminalTrialStatus, number>; leaderboard: readonly LeaderboardEntry[] }): string {
  const { counts } = state;
  const lines = [
    `**${state.status}**: ${counts.completed + counts['early-stopped']} of ${state.totalTrials} trials done, ${state.running} running, ${counts.failed} failed, ${counts.cancelled} cancelled`,
  ];
  if (state.leaderboard.length > 0) {
    lines.push('', '| # | trial | val AUC | epoch | params |', '|---|---|---|---|---|');
    state.leaderboard.forEach((e, i) => lines.push(`| ${i + 1} | ${trialSummary(e.trial, e.params)} | ${e.valAuc.toFixed(4)} | ${e.bestEpoch} | ${e.paramCount} |`));
  }
  return lines.join('\n');
}
