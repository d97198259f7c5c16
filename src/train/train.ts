/**
 * The training loop of one trial: seeded batching, init and dropout; per-epoch validation
 * (loss, mean ROC AUC and PR AUC over tasks); with the dataset's reverseComplement, a seeded
 * strand per training sample and strand-averaged validation predictions (DeepSEA/DanQ practice);
 * early stopping that keeps the best-epoch weights;
 * a checkpoint after every epoch, from which a later call resumes bit-identically (same
 * backend and seed); cooperative cancellation between batches.
 */
import * as tf from '@tensorflow/tfjs';
import type { EncodedSplit } from '../data/types.js';
import { evaluateTasks } from '../metrics/index.js';
import type { VariantConfig } from '../model/config.js';
import { variantSizes } from '../model/shapes.js';
import { METRIC_FIELDS } from '../domain/metrics.js';
import { Rng } from '../rng.js';
import { UserError } from '../errors.js';
import { NonFiniteLossError } from '../domain/permanent-errors.js';
import { openArtifactStore, waitingOutFullDisk } from '../artifacts/index.js';
import { selectBackend } from './backend.js';
import { type Checkpoint, type EarlyStoppingState, readCheckpointOrDiscard, writeCheckpoint } from './checkpoint.js';
import { countParams, initialWeights, lossFromLogits, type Network, probabilities } from './fast/network.js';
import { isNativeBackend } from './backend-name.js';
import { CompiledTrainStep, compiledStepUnavailable } from './native/compiled-step.js';
import { CompiledForward } from './native/compiled-forward.js';
import { CompileError } from './native/recorded-function.js';
import { NativeNetwork } from './native/network.js';
import { createNetwork, createOptimizer } from './networks.js';
import { NativeOptimizer } from './native/optimizer.js';
import { stepInput } from './native/step-trace.js';
import { PhaseClock } from './phase-clock.js';
import type { WeightOptimizer } from './optimizer.js';
import type { BackendName, EarlyStopping, EpochMetrics, StepPath, TrainRequest, TrainResult } from './types.js';

export interface TrainSplits {
  train: EncodedSplit;
  valid: EncodedSplit;
}

export interface TrainHooks {
  /** Once the backend and the step's path are chosen, before any epoch. */
  onStart?(info: { backend: BackendName; params: number; stepPath: StepPath }): void | Promise<void>;
  /** After each epoch, once its checkpoint is stored. */
  onEpoch?(metrics: EpochMetrics): void | Promise<void>;
  /** Polled between batches; true stops with status 'cancelled' (the last checkpoint stays). */
  shouldStop?(): boolean;
  log?: (line: string) => void;
  /** Lines the operator must see (a full disk), whether or not training logs are shown. */
  warn?: (line: string) => void;
}

export async function trainModel(req: TrainRequest, splits: TrainSplits, hooks: TrainHooks = {}): Promise<TrainResult> {
  const v = req.variant;
  const reverseComplement = req.dataset.reverseComplement === true;
  const clock = new PhaseClock();
  let phaseStart = performance.now();
  const backend = await selectBackend(req.backend, hooks.log);
  phaseStart = clock.lap('backendLoad', phaseStart);
  const params = countParams(v);
  checkSplits(v, splits);
  const lastEpoch = Math.min(req.untilEpoch, v.epochs);
  // A full disk is waited out: the epoch's state stays in memory, the last complete checkpoint on
  // disk, and training goes on once this one is written (the activity heartbeats meanwhile).
  const store = waitingOutFullDisk(await openArtifactStore(req.checkpointDir, req.s3), {
    owner: req.checkpointOwner?.owner ?? 'training',
    setting: req.checkpointOwner?.setting ?? 'the checkpoint location',
    warn: (line) => (hooks.warn ?? hooks.log)?.(line),
    givenUp: () => hooks.shouldStop?.() ?? false,
  });
  const resumed = await readCheckpointOrDiscard(store, (reason) => hooks.log?.(`discarded a damaged checkpoint: ${reason}`));
  phaseStart = clock.lap('checkpointRead', phaseStart);
  const state = resumed ?? freshState(v, backend);
  checkResumable(state, v, req.checkpointDir);
  if (state.backend !== backend) {
    hooks.log?.(`resuming a checkpoint written on ${state.backend} with ${backend}: results may differ in the last bits`);
  }
  const compileRefused = isNativeBackend(backend) ? compiledStepUnavailable(req.compile) : 'the compiled step needs a native backend';
  let stepPath: StepPath = compileRefused === undefined ? 'compiled' : 'eager';
  // One line, only where the user could expect the compiled path.
  if (compileRefused !== undefined && isNativeBackend(backend)) hooks.log?.(`training step: eager (${compileRefused})`);
  await hooks.onStart?.({ backend, params, stepPath });

  const result = (status: TrainResult['status']): TrainResult => {
    const best = state.history[state.earlyStopping.bestEpoch - 1];
    return { status, epochs: state.history, bestEpoch: best?.epoch ?? 0, bestValAuc: best?.valAuc ?? Number.NaN, backend, params, inferenceMsPer1k: null, stepPath, phaseMs: clock.ms };
  };
  const forwardTimer = new ForwardTimer();
  /**
   * A finished trial's result, with its inference time: from this call's validation passes; else one
   * more call of a validation batch (each batch size's first call only traced); else (no epoch ran
   * in this call) a pass with the best epoch's weights.
   */
  const finished = (status: 'completed' | 'early-stopped'): TrainResult => {
    if (state.earlyStopping.bestEpoch === 0) return result(status);
    if (forwardTimer.fastestMsPer1k !== undefined) return { ...result(status), inferenceMsPer1k: forwardTimer.fastestMsPer1k };
    const started = performance.now();
    const msPer1k = forwardTimer.timeWarmUpAgain() ?? inferenceMsPer1k(backend, v, state.bestWeights, splits.valid);
    clock.lap('inferenceTiming', started);
    return { ...result(status), inferenceMsPer1k: msPer1k };
  };
  if (state.earlyStopping.stopped) return finished('early-stopped');
  if (state.epoch >= lastEpoch) return finished('completed');

  const network = createNetwork(backend, v, state.weights);
  const optimizer = createOptimizer(backend, v.optimizer, v.learningRate, network.variables);
  let compiledStep =
    stepPath === 'compiled' && network instanceof NativeNetwork && optimizer instanceof NativeOptimizer
      ? new CompiledTrainStep(network, optimizer, { xla: req.xla === true, log: hooks.log })
      : undefined;
  const step = (x: Float32Array, y: Float32Array, batch: number, dropout: Rng): number => {
    if (compiledStep) {
      try {
        return compiledStep.run(x, y, batch, dropout, (d) => trainStepLoss(network, optimizer, x, y, batch, d));
      } catch (err) {
        if (!(err instanceof CompileError)) throw err;
        // The step state is as before the attempt: the eager step takes over from here.
        hooks.log?.(`training step: eager (TensorFlow refused the compiled step: ${err.message})`);
        compiledStep.dispose();
        compiledStep = undefined;
        stepPath = 'eager';
      }
    }
    return trainStep(network, optimizer, x, y, batch, dropout);
  };
  const eagerForward = eagerForwardBatch(network);
  const forward: ForwardBatch = forwardTimer.timed((x, y, batch) => {
    if (compiledStep) {
      try {
        return compiledStep.forward(x, y, batch, () => forwardTensors(network, x, y, batch));
      } catch (err) {
        if (!(err instanceof CompileError)) throw err;
        hooks.log?.(`training step: eager (TensorFlow refused the compiled forward pass: ${err.message})`);
        compiledStep.dispose();
        compiledStep = undefined;
        stepPath = 'eager';
      }
    }
    return eagerForward(x, y, batch);
  });
  // A fresh state has no slots yet: the optimizer's own start (zeros) is the same thing.
  if (state.optimizer.slots.length > 0) optimizer.setState(state.optimizer);
  releaseHostCopies(state);
  const shuffle = new Rng(0, state.rng.shuffle);
  const dropout = new Rng(0, state.rng.dropout);
  const x = new Float32Array(v.batchSize * v.seqLen * 4);
  const y = new Float32Array(v.batchSize * v.tasks);
  clock.lap('modelBuild', phaseStart);
  // The first step traces the compiled function: timed on its own, apart from the other batches.
  let firstStep = true;
  try {
    for (let epoch = state.epoch + 1; epoch <= lastEpoch; epoch++) {
      const started = performance.now();
      let firstStepMs = 0;
      const order = shuffle.permutation(splits.train.count);
      // Drawn from the shuffle stream right after the order, so its checkpointed state covers both.
      const reverse = reverseComplement ? Uint8Array.from(order, () => (shuffle.next() < 0.5 ? 1 : 0)) : undefined;
      let lossSum = 0;
      for (let start = 0; start < order.length; start += v.batchSize) {
        // Between batches: let messages (cancellation, heartbeats) through, then honour a stop.
        await new Promise((resolve) => setImmediate(resolve));
        if (hooks.shouldStop?.()) return result('cancelled');
        const end = Math.min(start + v.batchSize, order.length);
        const indices = order.subarray(start, end);
        readTrainBatch(splits.train, indices, reverse?.subarray(start, end), x, y);
        const stepStarted = performance.now();
        const loss = step(x, y, indices.length, dropout);
        if (firstStep) {
          firstStep = false;
          firstStepMs = clock.lap('firstStep', stepStarted) - stepStarted;
        }
        if (!Number.isFinite(loss)) {
          throw new NonFiniteLossError(`training loss is ${loss} at epoch ${epoch}, batch ${start / v.batchSize + 1} (learningRate ${v.learningRate}: try a smaller one)`);
        }
        lossSum += loss * indices.length;
      }
      const trainSeconds = (performance.now() - started) / 1000;
      clock.ms.batches += trainSeconds * 1000 - firstStepMs;
      const validationStarted = performance.now();
      const validation = validate(network, splits.valid, reverseComplement, forward);
      forwardTimer.endEpoch();
      clock.lap('validation', validationStarted);
      if (!Number.isFinite(validation.loss)) throw new NonFiniteLossError(`validation loss is ${validation.loss} at epoch ${epoch}`);
      const metrics: EpochMetrics = {
        epoch,
        trainLoss: lossSum / order.length,
        valLoss: validation.loss,
        valAuc: validation.auc,
        valPrAuc: validation.prAuc,
        seconds: (performance.now() - started) / 1000,
        samplesPerSec: order.length / trainSeconds,
      };
      // The checkpoint's cost includes reading the weights and slots back from the backend.
      const writeStarted = performance.now();
      state.history = [...state.history, metrics];
      state.epoch = epoch;
      state.weights = network.readWeights();
      // Never modified in place, so the best epoch's weights may share the arrays (as a fresh state does).
      if (updateEarlyStopping(state.earlyStopping, metrics, req.earlyStopping)) state.bestWeights = state.weights;
      state.optimizer = optimizer.getState();
      state.rng = { shuffle: shuffle.state, dropout: dropout.state };
      state.backend = backend;
      await writeCheckpoint(store, state);
      releaseHostCopies(state);
      clock.lap('checkpointWrite', writeStarted);
      hooks.log?.(formatEpoch(metrics));
      await hooks.onEpoch?.(metrics);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- updateEarlyStopping above sets it; the narrowing from before the loop does not see that
      if (state.earlyStopping.stopped) return finished('early-stopped');
    }
    return finished('completed');
  } finally {
    compiledStep?.dispose();
    network.dispose();
    optimizer.dispose();
  }
}

/**
 * Times a trial's validation forward passes (the model calls only: not reading batches, not the
 * metrics), leaving out the first call of each batch size, which traces the compiled function or
 * warms the kernels up. The figure does not depend on the weights' values, so any epoch's passes
 * measure the trained model's inference cost; the fastest epoch is the steady state.
 */
class ForwardTimer {
  private readonly warmBatchSizes = new Set<number>();
  private epochMs = 0;
  private epochSequences = 0;
  /** The largest warm-up call's batch, to time once more when no call was timed (one short epoch). */
  private warmUp: { forward: ForwardBatch; x: Float32Array; y: Float32Array; batch: number } | undefined;
  /** Milliseconds per 1,000 sequences in the fastest epoch so far; undefined until a call was timed. */
  fastestMsPer1k: number | undefined;

  timed(forward: ForwardBatch): ForwardBatch {
    return (x, y, batch) => {
      if (!this.warmBatchSizes.has(batch)) {
        this.warmBatchSizes.add(batch);
        if (batch > (this.warmUp?.batch ?? 0)) this.warmUp = { forward, x: x.slice(), y: y.slice(), batch };
        return forward(x, y, batch);
      }
      const started = performance.now();
      const outputs = forward(x, y, batch);
      this.epochMs += performance.now() - started;
      this.epochSequences += batch;
      return outputs;
    };
  }

  /** Times one more call of the largest warm-up batch, through the same (now traced) forward pass; undefined when there was none. */
  timeWarmUpAgain(): number | undefined {
    if (!this.warmUp) return undefined;
    const { forward, x, y, batch } = this.warmUp;
    const started = performance.now();
    forward(x, y, batch);
    return ((performance.now() - started) / batch) * 1000;
  }

  endEpoch(): void {
    if (this.epochSequences > 0) this.fastestMsPer1k = Math.min(this.fastestMsPer1k ?? Infinity, (this.epochMs / this.epochSequences) * 1000);
    this.epochMs = 0;
    this.epochSequences = 0;
  }
}

/** Sequences timed for a trial's inference cost: enough to average out one batch's overheads, few enough to cost little beside an epoch. */
const INFERENCE_SEQUENCES = 1000;

/**
 * The fallback when no epoch ran in this call (a resumed trial with no epoch left). Milliseconds of forward passes per 1,000 sequences with `weights` on `backend`: up to
 * INFERENCE_SEQUENCES validation sequences (forward strand) in batches of the variant's size,
 * after one untimed warm-up batch (kernel compilation, first allocations). Input encoding is read
 * before the clock starts, so only the model is timed.
 */
function inferenceMsPer1k(backend: BackendName, v: VariantConfig, weights: Float32Array[], split: EncodedSplit): number {
  const count = Math.min(INFERENCE_SEQUENCES, split.count);
  const batches: { x: Float32Array; size: number }[] = [];
  const y = new Float32Array(v.batchSize * v.tasks);
  for (let start = 0; start < count; start += v.batchSize) {
    const size = Math.min(v.batchSize, count - start);
    const x = new Float32Array(size * v.seqLen * 4);
    split.readBatch(
      Int32Array.from({ length: size }, (_, i) => start + i),
      x,
      y,
    );
    batches.push({ x, size });
  }
  const network = createNetwork(backend, v, weights);
  try {
    const forward = (batch: { x: Float32Array; size: number }) => tf.tidy(() => void network.logits(batch.x, batch.size).dataSync());
    forward(batches[0]!);
    const started = performance.now();
    for (const batch of batches) forward(batch);
    return ((performance.now() - started) / count) * 1000;
  } finally {
    network.dispose();
  }
}

/**
 * Fills x and y with a training batch; with `reverse`, the samples flagged 1 are read as their
 * reverse complement and placed after the others (a batch is a set: its order does not matter).
 */
function readTrainBatch(split: EncodedSplit, indices: Int32Array, reverse: Uint8Array | undefined, x: Float32Array, y: Float32Array): void {
  if (!reverse) {
    split.readBatch(indices, x, y);
    return;
  }
  const forward = indices.filter((_, i) => reverse[i] === 0);
  split.readBatch(forward, x, y);
  split.readBatch(
    indices.filter((_, i) => reverse[i] === 1),
    x.subarray(forward.length * split.seqLen * 4),
    y.subarray(forward.length * split.numTasks),
    { reverseComplement: true },
  );
}

/** One optimisation step on a filled batch; returns its loss (the one host read of the step). */
export function trainStep(network: Network, optimizer: WeightOptimizer, x: Float32Array, y: Float32Array, batch: number, dropout: Rng): number {
  return tf.tidy(() => trainStepLoss(network, optimizer, x, y, batch, dropout).dataSync()[0]!);
}

/** The step itself, eagerly, on the active backend; returns the loss tensor. Call inside tf.tidy. */
export function trainStepLoss(network: Network, optimizer: WeightOptimizer, x: Float32Array, y: Float32Array, batch: number, dropout: Rng): tf.Scalar {
  const v = network.variant;
  const labels = stepInput('labels', tf.tensor2d(y.subarray(0, batch * v.tasks), [batch, v.tasks]));
  const { value, grads } = tf.variableGrads(() => lossFromLogits(network.logits(x, batch, dropout), labels, v.outputActivation), network.variables);
  optimizer.apply(network.variables.map((w) => grads[w.name]!));
  return value;
}

export interface Predictions {
  /** split.count x tasks probabilities, sample-major. */
  scores: Float32Array;
  labels: Float32Array;
  /** Mean loss; with reverseComplement, the mean of the two strands' losses. */
  loss: number;
}

/**
 * The network's probabilities for every sample of a split, in batches of `batchSize` (default the
 * variant's); with `reverseComplement`, the mean of the forward and the reverse-complement strand's.
 */
export function predict(network: Network, split: EncodedSplit, reverseComplement: boolean, forward: ForwardBatch = eagerForwardBatch(network), batchSize = network.variant.batchSize): Predictions {
  const v = network.variant;
  const scores = new Float32Array(split.count * v.tasks);
  const labels = new Float32Array(split.count * v.tasks);
  const x = new Float32Array(batchSize * v.seqLen * 4);
  const indices = new Int32Array(batchSize);
  const strands = reverseComplement ? [false, true] : [false];
  let lossSum = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const batch = Math.min(batchSize, split.count - start);
    for (let i = 0; i < batch; i++) indices[i] = start + i;
    const y = labels.subarray(start * v.tasks, (start + batch) * v.tasks);
    const out = scores.subarray(start * v.tasks, (start + batch) * v.tasks);
    for (const strand of strands) {
      split.readBatch(indices.subarray(0, batch), x, y, { reverseComplement: strand });
      const { probabilities: p, loss } = forward(x, y, batch);
      for (let i = 0; i < p.length; i++) out[i]! += p[i]! / strands.length;
      lossSum += loss * batch;
    }
  }
  return { scores, labels, loss: lossSum / (split.count * strands.length) };
}

/** A batch's probabilities [batch, tasks] and mean loss; `y` holds its labels. */
export type ForwardBatch = (x: Float32Array, y: Float32Array, batch: number) => { probabilities: Float32Array; loss: number };

/**
 * The forward pass of inference (predict, variant scoring, mutagenesis): for a NativeNetwork one
 * compiled TensorFlow function call per batch (CompiledForward), op by op otherwise or when
 * TensorFlow refuses the function.
 */
export function inferenceForward(network: Network): { forward: ForwardBatch; dispose(): void } {
  const eager = eagerForwardBatch(network);
  let compiled = network instanceof NativeNetwork && compiledStepUnavailable(true) === undefined ? new CompiledForward(network) : undefined;
  const forward: ForwardBatch = (x, y, batch) => {
    if (compiled) {
      try {
        return compiled.forward(x, y, batch, () => forwardTensors(network, x, y, batch));
      } catch (err) {
        if (!(err instanceof CompileError)) throw err;
        compiled.dispose();
        compiled = undefined;
      }
    }
    return eager(x, y, batch);
  };
  return { forward, dispose: () => compiled?.dispose() };
}

/** The forward pass op by op, on any backend. */
function eagerForwardBatch(network: Network): ForwardBatch {
  return (x, y, batch) => {
    let result: ReturnType<ForwardBatch> | undefined;
    // Not returned through tf.tidy: it would walk the typed array value by value.
    tf.tidy(() => {
      const { probabilities: p, loss } = forwardTensors(network, x, y, batch);
      result = { probabilities: p.dataSync() as Float32Array, loss: loss.dataSync()[0]! };
    });
    return result!;
  };
}

/** The forward pass's tensors (the compiled step records them). Call inside tf.tidy. */
function forwardTensors(network: Network, x: Float32Array, y: Float32Array, batch: number): { probabilities: tf.Tensor; loss: tf.Scalar } {
  const v = network.variant;
  const logits = network.logits(x, batch);
  const labels = stepInput('labels', tf.tensor2d(y.subarray(0, batch * v.tasks), [batch, v.tasks]));
  return { probabilities: probabilities(logits, v.outputActivation), loss: lossFromLogits(logits, labels, v.outputActivation) };
}

/** Validation batches hold up to this many times the training batch: fewer, larger forward calls. */
const VALIDATION_BATCH_MULTIPLE = 8;
/**
 * ... and at most this many conv output values, the largest activation of the forward pass (full
 * DanQ: 312,000 per 1000 bp sequence, so its validation keeps the training batch of 100).
 */
const VALIDATION_CONV_OUTPUTS = 16 * 1024 * 1024;

/** The batch size of each epoch's validation; never below the training batch, which is known to fit. */
export function validationBatchSize(v: VariantConfig): number {
  const byMemory = Math.floor(VALIDATION_CONV_OUTPUTS / (variantSizes(v).convLength * v.convFilters));
  return Math.max(v.batchSize, Math.min(VALIDATION_BATCH_MULTIPLE * v.batchSize, byMemory));
}

function validate(network: Network, split: EncodedSplit, reverseComplement: boolean, forward?: ForwardBatch): { loss: number; auc: number; prAuc: number } {
  const { scores, labels, loss } = predict(network, split, reverseComplement, forward, validationBatchSize(network.variant));
  const evaluation = evaluateTasks(labels, scores, network.variant.tasks);
  if (evaluation.meanRocAuc === null || evaluation.meanPrAuc === null) {
    throw new UserError(`the validation split has no task with both classes (${split.count} sequences): ROC AUC is undefined`);
  }
  return { loss, auc: evaluation.meanRocAuc, prAuc: evaluation.meanPrAuc };
}

/**
 * Records this epoch in the early-stopping state; returns true when it is the new best epoch.
 * Without early stopping the best epoch is the one with the highest validation AUC.
 */
function updateEarlyStopping(state: EarlyStoppingState, metrics: EpochMetrics, config: EarlyStopping | undefined): boolean {
  const metric = config?.metric ?? 'val_auc';
  const value = metrics[METRIC_FIELDS[metric]];
  const minDelta = config?.minDelta ?? 0;
  const improved = state.best === null || (metric === 'val_loss' ? value < state.best - minDelta : value > state.best + minDelta);
  if (improved) {
    state.best = value;
    state.bestEpoch = metrics.epoch;
    state.wait = 0;
  } else {
    state.wait++;
    if (config && state.wait >= config.patience) state.stopped = true;
  }
  return improved;
}

/**
 * The current weights and optimizer slots live on the backend; their host copies exist to be
 * uploaded or written, so they are dropped until the next epoch's checkpoint (full DanQ: 180 MB
 * each). The best epoch's weights stay: a later checkpoint needs them when that epoch stays best.
 */
function releaseHostCopies(state: Checkpoint): void {
  state.weights = [];
  state.optimizer = { step: state.optimizer.step, slots: [] };
}

function freshState(v: VariantConfig, backend: BackendName): Checkpoint {
  const root = new Rng(v.seed);
  const weights = initialWeights(v, root.fork('init'));
  return {
    variant: v,
    backend,
    epoch: 0,
    history: [],
    rng: { shuffle: root.fork('shuffle').state, dropout: root.fork('dropout').state },
    earlyStopping: { best: null, bestEpoch: 0, wait: 0, stopped: false },
    optimizer: { step: 0, slots: [] },
    weights,
    bestWeights: weights,
  };
}

function checkResumable(state: Checkpoint, v: VariantConfig, dir: string): void {
  // Only the epoch budget may change between calls (ASHA promotions raise untilEpoch, not this).
  const differing = (Object.keys(v) as (keyof VariantConfig)[]).filter((k) => k !== 'epochs' && state.variant[k] !== v[k]);
  if (differing.length > 0) {
    const changes = differing.map((k) => `${k} ${String(state.variant[k])} -> ${String(v[k])}`).join(', ');
    throw new UserError(`the checkpoint in ${dir} belongs to another variant (${changes}): remove it or train into another directory`);
  }
}

function checkSplits(v: VariantConfig, splits: TrainSplits): void {
  const problems: string[] = [];
  for (const [name, split] of [
    ['train', splits.train],
    ['valid', splits.valid],
  ] as const) {
    if (split.seqLen !== v.seqLen) problems.push(`${name} split has sequences of length ${split.seqLen}, the variant's seqLen is ${v.seqLen}`);
    if (split.numTasks !== v.tasks) problems.push(`${name} split has ${split.numTasks} tasks, the variant's tasks is ${v.tasks}`);
    if (split.count === 0) problems.push(`${name} split is empty`);
  }
  if (problems.length > 0) throw UserError.of('dataset does not fit the variant:', problems);
}

function formatEpoch(m: EpochMetrics): string {
  return (
    `epoch ${m.epoch}: loss ${m.trainLoss.toFixed(4)} val_loss ${m.valLoss.toFixed(4)} val_auc ${m.valAuc.toFixed(4)} ` +
    `val_pr_auc ${m.valPrAuc.toFixed(4)} (${m.seconds.toFixed(1)} s, ${m.samplesPerSec.toFixed(0)} samples/s)`
  );
}
