/**
 * Child-process entry of runner.ts: receives requests one after another, trains each, and streams
 * progress back over IPC. Opened dataset splits are kept for the next trial of the same dataset
 * (its fingerprint names immutable cache files). Not imported by anything: `fork` runs it.
 */
import { openSplit, type EncodedSplit } from '../data/index.js';
import type { DatasetManifest } from '../data/types.js';
import { activeBackendRuntime } from './backend.js';
import type { ChildMessage, ParentMessage, SerializedError } from './runner.js';
import { trainModel } from './train.js';
import type { TrainRequest } from './types.js';

let stopRequested = false;
let opened: { key: string; train: EncodedSplit; valid: EncodedSplit } | undefined;

const send = (message: ChildMessage) => new Promise<void>((resolve, reject) => process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve())));

process.on('message', (message: ParentMessage) => {
  if (message.type === 'cancel') stopRequested = true;
  else void run(message.request);
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

async function run(request: TrainRequest): Promise<void> {
  stopRequested = false;
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
