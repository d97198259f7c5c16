/**
 * Where a trial's time goes inside its training process, accumulated phase by phase where the
 * work happens (the training loop, the runner), for `sweep start --timings`.
 */
import type { TrainingPhase, TrainingPhaseMs } from './types.js';

export class PhaseClock {
  readonly ms: TrainingPhaseMs = { processWait: 0, backendLoad: 0, checkpointRead: 0, modelBuild: 0, firstStep: 0, batches: 0, validation: 0, checkpointWrite: 0, inferenceTiming: 0 };

  /** Adds the time since `since` (a performance.now() reading) to `phase`; returns now, the next phase's start. */
  lap(phase: TrainingPhase, since: number): number {
    const now = performance.now();
    this.ms[phase] += now - since;
    return now;
  }
}

/** A wall-clock reading comparable across this machine's processes (the parent's and the training child's). */
export const wallClockMs = () => performance.timeOrigin + performance.now();
