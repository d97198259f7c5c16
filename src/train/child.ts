/**
 * Child-process entry of runner.ts: receives the request, opens the dataset splits, trains, and
 * streams progress back over IPC. Not imported by anything: `fork` runs it.
 */
import { openSplit, type EncodedSplit } from '../data/index.js';
import { isUserError } from '../errors.js';
import type { ChildMessage, ParentMessage, SerializedError } from './runner.js';
import { trainModel } from './train.js';
import type { TrainRequest } from './types.js';

let stopRequested = false;

const send = (message: ChildMessage) =>
  new Promise<void>((resolve, reject) => process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve())));

process.on('message', (message: ParentMessage) => {
  if (message.type === 'cancel') stopRequested = true;
  else void run(message.request);
});
// Parent gone (or done with us): never train on as an orphan.
process.on('disconnect', () => process.exit());

async function run(request: TrainRequest): Promise<void> {
  const opened: EncodedSplit[] = [];
  try {
    const train = openSplit(request.dataset.splits.train, request.dataset);
    opened.push(train);
    const valid = openSplit(request.dataset.splits.valid, request.dataset);
    opened.push(valid);
    const result = await trainModel(
      request,
      { train, valid },
      {
        onStart: (info) => send({ type: 'started', ...info }),
        onEpoch: (metrics) => send({ type: 'epoch', metrics }),
        shouldStop: () => stopRequested,
        log: (line) => void send({ type: 'log', line }),
      },
    );
    await send({ type: 'result', result });
  } catch (err) {
    await send({ type: 'error', error: serialize(err) });
    process.exitCode = 1;
  } finally {
    for (const split of opened) split.close();
    process.disconnect();
  }
}

function serialize(err: unknown): SerializedError {
  const error = err instanceof Error ? err : new Error(String(err));
  const nonRetryable = isUserError(error) || (error as { nonRetryable?: unknown }).nonRetryable === true;
  return { name: error.name, message: error.message, stack: error.stack, nonRetryable };
}
