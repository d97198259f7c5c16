/**
 * Child-process entry of runner.ts: receives requests one after another, trains each, and streams
 * progress back over IPC. Opened dataset splits are kept for the next trial of the same dataset
 * (its fingerprint names immutable cache files). Not imported by anything: `fork` runs it.
 */
import { openSplit, type EncodedSplit } from '../data/index.js';
import type { DatasetManifest } from '../data/types.js';
import { activeBackendRuntime, selectBackend } from './backend.js';
import type { ChildMessage, ParentMessage, SerializedError } from './runner.js';
import { wallClockMs } from './phase-clock.js';
import { trainModel } from './train.js';
import type { BackendName, TrainRequest } from './types.js';

let stopRequested = false;
// Settles once the warm-up is done: a trial starts after it (the two would load the backend at once).
let warmedUp: Promise<void> = Promise.resolve();
let opened: { key: string; train: EncodedSplit; valid: EncodedSplit } | undefined;

const send = (message: ChildMessage) => new Promise<void>((resolve, reject) => process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve())));

process.on('message', (message: ParentMessage) => {
  if (message.type === 'cancel') stopRequested = true;
  // A failed send means the parent is gone, and 'disconnect' ends this process.
  else if (message.type === 'warm-up') warmedUp = warmUp(message.backend).catch(() => {});
  else void run(message.request, message.sentAt);
});
// Parent gone (or done with us): never train on as an orphan.
process.on('disconnect', () => process.exit());

function splitsOf(dataset: DatasetManifest) {
  const key = JSON.stringify([dataset.fingerprint, dataset.splits.train, dataset.splits.valid]);
  if (opened?.key !== key) {
    closeSplits();
    const train = openSplit(dataset.splits.train, dataset);
    try {
      opened = { key, train, valid: openSplit(dataset.splits.valid, dataset) };
    } catch (err) {
      train.close();
      throw err;
    }
  }
  return opened;
}

function closeSplits() {
  opened?.train.close();
  opened?.valid.close();
  opened = undefined;
}

/** Loads the backend's library while no trial waits for it; one that cannot load is the trial's error to report. */
async function warmUp(backend: BackendName | 'auto' | undefined): Promise<void> {
  const loaded = backend === undefined ? undefined : await selectBackend(backend).catch(() => undefined);
  await send({ type: 'ready', backend: loaded });
}

async function run(request: TrainRequest, sentAt: number): Promise<void> {
  stopRequested = false;
  await warmedUp;
  const processWaitMs = Math.max(0, wallClockMs() - sentAt);
  try {
    const { train, valid } = splitsOf(request.dataset);
    const result = await trainModel(
      request,
      { train, valid },
      {
        onStart: (info) => send({ type: 'started', backend: info.backend, paramCount: info.params, runtime: { ...activeBackendRuntime(), stepPath: info.stepPath } }),
        onEpoch: (metrics) => send({ type: 'epoch', metrics }),
        shouldStop: () => stopRequested,
        log: (line) => void send({ type: 'log', line }),
        warn: (line) => void send({ type: 'warning', line }),
      },
    );
    result.phaseMs.processWait = processWaitMs;
    await send({ type: 'result', result });
  } catch (err) {
    // The parent retires a process after an error; its splits go with it.
    closeSplits();
    await send({ type: 'error', error: serialize(err) });
  }
}

function serialize(err: unknown): SerializedError {
  const error = err instanceof Error ? err : new Error(String(err));
  return { name: error.name, message: error.message, stack: error.stack };
}
