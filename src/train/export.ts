/**
 * Export of trained weights as a standard TF.js layers model (model.json + weights.bin), loadable
 * with plain `tf.loadLayersModel` (tfjs-node: `file://DIR/model.json`; elsewhere
 * `loadExportedModel(dir)`). The fast path's weights already have the layers model's layout, so
 * exporting is `setWeights` + save; nothing custom needs registering on load.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from '../model/config.js';
import { buildLayersModel } from '../model/layers.js';
import { quietTfjs } from './backend.js';
import { readCheckpoint, writeFileAtomically } from './checkpoint.js';
import { weightSpecs } from './network.js';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/** Writes the best-epoch weights of the checkpoint in `checkpointDir` to `outDir`; returns the model.json path. */
export async function exportModel(checkpointDir: string, variant: VariantConfig, outDir: string): Promise<string> {
  const checkpoint = readCheckpoint(checkpointDir);
  if (!checkpoint) throw new Error(`no checkpoint in ${checkpointDir} to export`);
  const weights = checkpoint.bestWeights;
  const specs = weightSpecs(variant);
  // The worker process exports on tfjs's default backend, which it never selected.
  quietTfjs();
  const model = buildLayersModel(variant, { fastWeightInit: true });
  try {
    tf.tidy(() => model.setWeights(specs.map((spec, i) => tf.tensor(weights[i]!, spec.shape, 'float32'))));
    model.setUserDefinedMetadata({ danqSweep: { variant } });
    mkdirSync(outDir, { recursive: true });
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weightData = tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
        const modelJson: tf.io.ModelJSON = {
          modelTopology: artifacts.modelTopology!,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          userDefinedMetadata: artifacts.userDefinedMetadata,
          weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs! }],
        };
        // model.json last: a reader that finds it finds the weights it names.
        writeFileAtomically(path.join(outDir, WEIGHTS_FILE), [new Uint8Array(weightData)]);
        writeFileAtomically(path.join(outDir, MODEL_FILE), [Buffer.from(JSON.stringify(modelJson))]);
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
      }),
    );
  } finally {
    model.dispose();
  }
  return path.join(outDir, MODEL_FILE);
}

/** Loads an exported model with plain `tf.loadLayersModel` through a file-reading IO handler. */
export function loadExportedModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel({
    load: async () => {
      const modelJson = JSON.parse(readFileSync(path.join(dir, MODEL_FILE), 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = manifest.flatMap((group) => group.paths.map((p) => readFileSync(path.join(dir, p))));
        const data = Buffer.concat(buffers);
        return [specs, data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)];
      });
    },
  });
}
