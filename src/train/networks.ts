/**
 * The one place that picks a training path: the native path (src/train/native: TensorFlow ops on
 * resource variables, compiled into one function per batch) on the tfjs-node backends, the fast path
 * (src/train/fast: custom-gradient kernels on tfjs tensors) elsewhere.
 */
import type * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from '../model/config.js';
import { isNativeBackend } from './backend-name.js';
import { Network } from './fast/network.js';
import { NativeNetwork } from './native/network.js';
import { NativeOptimizer } from './native/optimizer.js';
import { TensorFlowOps } from './native/tensorflow-ops.js';
import { Optimizer, type WeightOptimizer } from './optimizer.js';
import type { BackendName } from './types.js';

/** The network a backend trains fastest with: device-resident on the native backends, the host-assisted fast path elsewhere. */
export function createNetwork(backend: BackendName, variant: VariantConfig, values: readonly Float32Array[]): Network {
  return isNativeBackend(backend) ? new NativeNetwork(variant, values) : new Network(variant, values);
}

/** The optimizer a backend updates fastest with: fused kernels on the native backends, elementwise ops elsewhere. */
export function createOptimizer(backend: BackendName, kind: VariantConfig['optimizer'], learningRate: number, weights: tf.Variable[]): WeightOptimizer {
  return isNativeBackend(backend) ? new NativeOptimizer(kind, learningRate, weights) : new Optimizer(kind, learningRate, weights);
}

/** The network of inference (predict, variants, ISM) on whichever backend is active: native when TensorFlow's ops are loaded. */
export function inferenceNetwork(variant: VariantConfig, values: readonly Float32Array[]): Network {
  return TensorFlowOps.available() ? new NativeNetwork(variant, values) : new Network(variant, values);
}
