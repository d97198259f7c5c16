/**
 * The lifecycle states of sweeps and trials: one definition that the workflows, the results
 * database and the CLI share. Pure types.
 */
export type SweepStatus = 'running' | 'paused' | 'completed' | 'cancelled' | 'failed';
export type TerminalSweepStatus = Extract<SweepStatus, 'completed' | 'cancelled' | 'failed'>;

export type TrialStatus = 'pending' | 'running' | 'completed' | 'early-stopped' | 'failed' | 'cancelled';
export type TerminalTrialStatus = Exclude<TrialStatus, 'pending' | 'running'>;
