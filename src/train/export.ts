/**
 * Export of trained weights as a standard TF.js layers model (model.json + weights.bin), loadable
 * with plain `tf.loadLayersModel` (tfjs-node: `file://DIR/model.json`; elsewhere
 * `loadExportedModel(location)`, which also reads s3:// locations). The fast path's weights
 * already have the layers model's layout, so exporting is `setWeights` + save; nothing custom
 * needs registering on load.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { getBytes, openArtifactStore, type ArtifactStore, type S3Options } from '../artifacts/index.js';
import type { DatasetSpec, LengthPolicy } from '../data/dataset-spec.js';
import { readMeta } from '../data/store.js';
import type { VariantConfig } from '../model/config.js';
import { buildLayersModel } from '../model/layers.js';
import { quietTfjs } from './backend.js';
import { readCheckpoint } from './checkpoint.js';
import { weightSpecs } from './fast/network.js';

export const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/**
 * What predicting with the model needs to know about the data it was trained on, kept in
 * model.json's userDefinedMetadata.danqSweep.dataset next to the variant.
 */
export interface ExportedDataset {
  /** The label columns, in output order; absent when the exporting worker had no encoded cache of the data. */
  taskNames?: string[];
  /** Trained on both strands: predictions average the two strands, as validation did. */
  reverseComplement: boolean;
  lengthPolicy: LengthPolicy;
  fingerprint: string;
}

/** The ExportedDataset of a sweep from its stored spec and dataset fingerprint, task names from this machine's cache. */
export function exportedDataset(sweep: { spec: unknown; datasetFingerprint: string }, cacheDir: string): ExportedDataset {
  const dataset = (sweep.spec as { dataset?: DatasetSpec } | null)?.dataset;
  const taskNames = readMeta(path.join(cacheDir, sweep.datasetFingerprint))?.taskNames;
  return {
    ...(taskNames ? { taskNames } : {}),
    reverseComplement: dataset?.reverseComplement ?? false,
    lengthPolicy: dataset?.lengthPolicy ?? 'error',
    fingerprint: sweep.datasetFingerprint,
  };
}

/**
 * Writes the best-epoch weights of the checkpoint at `checkpointDir` to `outDir` (each a directory
 * or s3:// location; `outDir` may be a store already open on it), with what predicting needs to know
 * about the data; returns the location of model.json.
 */
export async function exportModel(checkpointDir: string, variant: VariantConfig, outDir: string | ArtifactStore, s3?: S3Options, dataset?: ExportedDataset): Promise<string> {
  const checkpoint = await readCheckpoint(checkpointDir, s3);
  if (!checkpoint) throw new Error(`no checkpoint in ${checkpointDir} to export`);
  const weights = checkpoint.bestWeights;
  const specs = weightSpecs(variant);
  // The worker process exports on tfjs's default backend, which it never selected.
  quietTfjs();
  const out = typeof outDir === 'string' ? await openArtifactStore(outDir, s3) : outDir;
  const model = buildLayersModel(variant, { fastWeightInit: true });
  try {
    tf.tidy(() => model.setWeights(specs.map((spec, i) => tf.tensor(weights[i]!, spec.shape, 'float32'))));
    model.setUserDefinedMetadata({ danqSweep: { variant, ...(dataset ? { dataset } : {}) } });
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
        const modelJson: tf.io.ModelJSON = {
          modelTopology: artifacts.modelTopology!,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          userDefinedMetadata: artifacts.userDefinedMetadata,
          weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs! }],
        };
        // model.json last: a reader that finds it finds the weights it names.
        await out.put(WEIGHTS_FILE, new Uint8Array(weightData));
        await out.put(MODEL_FILE, Buffer.from(JSON.stringify(modelJson)));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
      }),
    );
  } finally {
    model.dispose();
  }
  return out.locate(MODEL_FILE);
}

/** Loads an exported model (a directory or s3:// location) with plain `tf.loadLayersModel` through an artifact-store IO handler. */
export async function loadExportedModel(location: string, s3?: S3Options): Promise<tf.LayersModel> {
  const store = await openArtifactStore(location, s3);
  return tf.loadLayersModel({
    load: async () => {
      const modelJson = JSON.parse((await required(store, MODEL_FILE)).toString('utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const paths = manifest.flatMap((group) => group.paths.map((p) => p.replace(/^\.\//, '')));
        const data = Buffer.concat(await Promise.all(paths.map((p) => required(store, p))));
        return [specs, data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)];
      });
    },
  });
}

async function required(store: ArtifactStore, key: string): Promise<Buffer> {
  const bytes = await getBytes(store, key);
  if (!bytes) throw new Error(`${store.locate(key)} not found: not an exported model`);
  return bytes;
}
