/**
 * The lifecycle states of sweeps and trials: one definition that the workflows, the results
 * database, the API and the CLI share. Pure.
 */
export const SWEEP_STATUSES = ['running', 'paused', 'completed', 'cancelled', 'failed'] as const;
export const TERMINAL_SWEEP_STATUSES = ['completed', 'cancelled', 'failed'] as const satisfies readonly SweepStatus[];
export type SweepStatus = (typeof SWEEP_STATUSES)[number];
export type TerminalSweepStatus = (typeof TERMINAL_SWEEP_STATUSES)[number];

export const TRIAL_STATUSES = ['pending', 'running', 'completed', 'early-stopped', 'failed', 'cancelled'] as const;
/** How a trial that ran ends (what a strategy is told, what the sweep counts). */
export const TERMINAL_TRIAL_STATUSES = ['completed', 'early-stopped', 'failed', 'cancelled'] as const satisfies readonly TrialStatus[];
export type TrialStatus = (typeof TRIAL_STATUSES)[number];
export type TerminalTrialStatus = (typeof TERMINAL_TRIAL_STATUSES)[number];

/** The ends of a trial that trained to a result (every epoch, or stopped early by its strategy): its metrics count. */
export const FINISHED_TRIAL_STATUSES = ['completed', 'early-stopped'] as const satisfies readonly TerminalTrialStatus[];
export type FinishedTrialStatus = (typeof FINISHED_TRIAL_STATUSES)[number];

export function isFinishedTrialStatus(status: TrialStatus): status is FinishedTrialStatus {
  return (FINISHED_TRIAL_STATUSES as readonly TrialStatus[]).includes(status);
}

export function isTerminalSweepStatus(status: SweepStatus): status is TerminalSweepStatus {
  return (TERMINAL_SWEEP_STATUSES as readonly SweepStatus[]).includes(status);
}
