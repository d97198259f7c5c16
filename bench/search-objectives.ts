/**
 * The benchmark objectives of `npm run bench:search`: cheap deterministic functions of mixed
 * parameter kinds standing in for a sweep's validation metric. bench/search_optuna.py ports them
 * line for line; keep the two in step. Each returns the objective, or null for a failed trial
 * (a diverging run), and knows its optimum so regret is exact.
 */
import type { ParamValue } from '../src/strategy/index.js';

type Params = Record<string, ParamValue>;

export interface BenchObjective {
  name: string;
  mode: 'max' | 'min';
  /** The spec's `space` JSON. */
  space: Record<string, unknown>;
  evaluate(params: Params): number | null;
  optimum: number;
}

const gauss = (x: number, centre: number, width: number) => Math.exp(-(((x - centre) / width) ** 2));

/** DanQ-like AUC: the best learning rate depends on the RNN cell and the batch size; too high a rate diverges. */
const danqAuc: BenchObjective = {
  name: 'danq-auc (rnn x logLR x batch x dropout)',
  mode: 'max',
  space: { rnn: ['lstm', 'gru'], learningRate: { logUniform: [1e-5, 0.1] }, batchSize: [32, 64, 128, 256], convDropout: { uniform: [0, 0.6] } },
  evaluate(p) {
    const lr = p.learningRate as number;
    const bs = p.batchSize as number;
    const scale = Math.sqrt(bs / 64);
    if (lr > 0.03 * scale) return null;
    const bestLr = (p.rnn === 'lstm' ? 3e-3 : 8e-4) * scale;
    const qLr = gauss(Math.log10(lr), Math.log10(bestLr), 0.5);
    const qDrop = 1 - ((p.convDropout as number) - 0.25) ** 2;
    const qBatch = ({ 32: 0.97, 64: 1, 128: 0.98, 256: 0.93 } as Record<number, number>)[bs]!;
    return 0.5 + 0.45 * qLr * qDrop * qBatch + (p.rnn === 'lstm' ? 0.01 : 0);
  },
  optimum: 0.96,
};

/** Branin (minimise) where a categorical shifts and offsets the landscape. */
function branin(x1: number, x2: number): number {
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}
const braninCat: BenchObjective = {
  name: 'branin-cat (2 floats x categorical)',
  mode: 'min',
  space: { x1: { uniform: [-5, 10] }, x2: { uniform: [0, 15] }, kind: ['a', 'b', 'c'] },
  evaluate(p) {
    const x1 = p.x1 as number;
    const x2 = p.x2 as number;
    if (p.kind === 'a') return branin(x1, x2) + 0.5;
    if (p.kind === 'b') return branin(x1 - 2, x2);
    return branin(x2 - 5, x1 + 5) + 1.5;
  },
  // Branin's minimum (0.397887) where the squared term is 0 and cos(x1) = -1.
  optimum: 10 / (8 * Math.PI),
};

/** Conv-like integers (the best pool follows the kernel) with an optimizer x log learning rate interaction. */
function convIntegerScore(kernel: number, pool: number): number {
  return gauss(kernel, 19, 10) * gauss(pool, kernel / 2, 3);
}
const denseQuality: Record<number, number> = { 0: 0.9, 32: 0.95, 64: 1, 128: 0.98, 256: 0.96 };
let bestConv = 0;
for (let k = 4; k <= 40; k++) for (let p = 2; p <= 20; p++) bestConv = Math.max(bestConv, convIntegerScore(k, p));
const convMix: BenchObjective = {
  name: 'conv-mix (2 ints x dense x optimizer x logLR)',
  mode: 'max',
  space: {
    convKernel: { int: [4, 40] },
    poolSize: { int: [2, 20] },
    denseUnits: [0, 32, 64, 128, 256],
    optimizer: ['adam', 'rmsprop'],
    learningRate: { logUniform: [1e-4, 0.1] },
  },
  evaluate(p) {
    const bestLr = p.optimizer === 'adam' ? 1e-3 : 3e-4;
    const width = p.optimizer === 'adam' ? 0.6 : 0.3;
    const qLr = gauss(Math.log10(p.learningRate as number), Math.log10(bestLr), width);
    return 0.5 + 0.4 * convIntegerScore(p.convKernel as number, p.poolSize as number) * qLr * denseQuality[p.denseUnits as number]!;
  },
  optimum: 0.5 + 0.4 * bestConv,
};

export const objectives: BenchObjective[] = [danqAuc, braninCat, convMix];
