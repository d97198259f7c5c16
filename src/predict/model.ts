/**
 * An exported model as predict and motifs use it: the folder (given, or a sweep's best model found
 * through the results database), its variant and training-data facts from model.json, and its
 * weights in the fast network's order.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LengthPolicy } from '../data/dataset-spec.js';
import type { ResultsStore } from '../db/types.js';
import { UserError } from '../errors.js';
import type { VariantConfig } from '../model/config.js';
import { type ExportedDataset, loadExportedModel, MODEL_FILE } from '../train/export.js';

export interface ModelInfo {
  dir: string;
  variant: VariantConfig;
  /** One per output column; `task1..N` when the export does not carry the training data's names. */
  taskNames: string[];
  /** False when the names are the `task1..N` stand-ins. */
  taskNamesKnown: boolean;
  reverseComplement: boolean;
  lengthPolicy: LengthPolicy;
}

/** Sweep ids look like `sweep-<name>-<hex>`; anything with a path separator is a folder. */
function looksLikeFolder(arg: string): boolean {
  return arg.includes('/') || arg.includes(path.sep) || arg === '.' || arg === '..' || existsSync(arg);
}

/**
 * `--model DIR|SWEEP_ID` to a model folder. A sweep id is looked up in the results database
 * (`withDb` opens it only when needed): the sweep's best-model artifact.
 */
export async function resolveModelDir(arg: string, withDb: <T>(fn: (db: ResultsStore) => Promise<T>) => Promise<T>): Promise<string> {
  if (looksLikeFolder(arg)) return arg;
  const found = await withDb(async (db) => {
    const sweep = await db.getSweep(arg);
    if (!sweep) return { missing: true as const };
    const artifact = (await db.listArtifacts(arg)).find((a) => a.trialId === sweep.bestTrialId);
    return { missing: false as const, sweep, uri: artifact?.uri };
  });
  if (found.missing) throw new UserError(`--model: '${arg}' is neither a model folder nor a sweep id in the database (sweep list shows the sweeps).`);
  if (!found.uri) {
    throw new UserError(
      `--model: sweep '${arg}' has no exported best model (status ${found.sweep.status}${found.sweep.bestTrialId ? '' : ', no best trial'}); wait for it to finish, or give the model folder.`,
    );
  }
  return found.uri;
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: unknown;
  userDefinedMetadata?: { danqSweep?: { variant?: VariantConfig; dataset?: ExportedDataset } };
}

/** Reads and checks model.json (no tfjs needed); a folder that is not an exported model is a UserError naming it. */
export function readModelInfo(dir: string): ModelInfo {
  const notModel = (why: string) =>
    new UserError(`--model ${dir}: not a danq-sweep model folder (${why}). Expected the folder of an exported model (model.json + weights.bin), as 'sweep best SWEEP_ID' shows, or a sweep id.`);
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw notModel('no such folder');
  }
  if (!st.isDirectory()) throw notModel('it is a file, not a folder');
  const file = path.join(dir, MODEL_FILE);
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  } catch (err) {
    throw notModel((err as NodeJS.ErrnoException).code === 'ENOENT' ? `no ${MODEL_FILE}` : `${MODEL_FILE} is not valid JSON`);
  }
  const variant = json.userDefinedMetadata?.danqSweep?.variant;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw notModel(`${MODEL_FILE} is not a TensorFlow.js layers model`);
  if (!variant || !Number.isInteger(variant.seqLen) || !Number.isInteger(variant.tasks)) throw notModel(`${MODEL_FILE} has no danq-sweep variant in its metadata`);
  for (const weights of (json.weightsManifest as { paths?: string[] }[]).flatMap((g) => g.paths ?? [])) {
    if (!existsSync(path.join(dir, weights))) throw notModel(`${weights} is missing`);
  }
  const dataset = json.userDefinedMetadata?.danqSweep?.dataset;
  const names = dataset?.taskNames?.length === variant.tasks ? dataset.taskNames : undefined;
  return {
    dir,
    variant,
    taskNames: names ?? Array.from({ length: variant.tasks }, (_, t) => `task${t + 1}`),
    taskNamesKnown: names !== undefined,
    reverseComplement: dataset?.reverseComplement ?? false,
    lengthPolicy: dataset?.lengthPolicy ?? 'error',
  };
}

/** The model's weights as host arrays, in `weightSpecs(variant)` order (the export's setWeights order). Needs a tfjs backend. */
export async function loadWeights(info: ModelInfo): Promise<Float32Array[]> {
  const model = await loadExportedModel(info.dir);
  try {
    return model.getWeights().map((w) => w.dataSync() as Float32Array);
  } finally {
    model.dispose();
  }
}
