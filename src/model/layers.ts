/**
 * The standard tfjs-layers model of a variant: what exported models are saved as, so anyone can
 * load them with plain `tf.loadLayersModel`. Training uses the fast path in src/train/fast/network.ts,
 * whose weights have exactly this model's `getWeights()` layout and order.
 * Layer names follow shapes.ts (`inspectVariant`).
 */
import * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from './config.js';
import { DNA_CHANNELS } from './shapes.js';

export interface BuildOptions {
  /**
   * Build every weight as zeros, for a model whose weights are set right after (export): what
   * tf.loadLayersModel itself does. The saved config still names the standard initialisers.
   * Why: tfjs's orthogonal initialiser is a QR decomposition in JS that takes seconds for
   * danq-lite's recurrent kernels, minutes for the danq preset's (and warns about it).
   */
  fastWeightInit?: boolean;
}

export function buildLayersModel(v: VariantConfig, options: BuildOptions = {}): tf.Sequential {
  const model = tf.sequential({ name: 'danq' });
  const add = (layer: Parameters<tf.Sequential['add']>[0]) => {
    if (options.fastWeightInit) layer.setFastWeightInitDuringBuild(true);
    model.add(layer);
  };
  add(
    tf.layers.conv1d({
      name: 'conv1d',
      inputShape: [v.seqLen, DNA_CHANNELS],
      filters: v.convFilters,
      kernelSize: v.convKernel,
      strides: v.convStride,
      activation: 'relu',
    }),
  );
  add(tf.layers.maxPooling1d({ name: 'max_pooling1d', poolSize: v.poolSize, strides: v.poolStride }));
  add(tf.layers.dropout({ name: 'conv_dropout', rate: v.convDropout }));
  // Keras 2.3+ defaults (tfjs-layers still defaults to hard sigmoid); GRU is reset-before, the
  // only kind tfjs-layers implements.
  const rnnArgs = { name: v.rnn, units: v.rnnUnits, returnSequences: v.returnSequences, recurrentActivation: 'sigmoid' } as const;
  const rnn = v.rnn === 'lstm' ? tf.layers.lstm({ ...rnnArgs, unitForgetBias: true }) : tf.layers.gru(rnnArgs);
  add(tf.layers.bidirectional({ name: 'bidirectional', layer: rnn, mergeMode: v.rnnMerge }));
  add(tf.layers.dropout({ name: 'rnn_dropout', rate: v.rnnDropout }));
  if (v.returnSequences) add(tf.layers.flatten({ name: 'flatten' }));
  if (v.denseUnits > 0) add(tf.layers.dense({ name: 'dense', units: v.denseUnits, activation: 'relu' }));
  add(tf.layers.dense({ name: 'output', units: v.tasks, activation: v.outputActivation }));
  return model;
}
