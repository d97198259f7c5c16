import type { Config } from '../config/index.js';
import { prepareDatasetCached } from '../data/index.js';
import type { DatasetManifest } from '../data/types.js';
import { UserError } from '../errors.js';
import { loadSpec, type LoadedSpec } from '../sweep-spec/load.js';
import type { TrialPlan } from '../sweep-spec/plan.js';
import { validateSweep } from '../sweep-spec/validate.js';

export interface PreparedSweep {
  loaded: LoadedSpec;
  trials: TrialPlan[];
  dataset: DatasetManifest;
}

/**
 * Everything `sweep validate` and `sweep start` check before any compute: the spec's schema,
 * every planned variant's shapes, and one full pass over the data (which also fingerprints it and
 * fills the encoded cache). Throws one UserError listing every problem found.
 */
export async function prepareSweep(specPath: string, config: Config): Promise<PreparedSweep> {
  const loaded = await loadSpec(specPath);
  const { trials, problems } = validateSweep(loaded.spec);
  if (problems.length > 0) throw UserError.of(`${specPath}: ${problems.length} problem${problems.length > 1 ? 's' : ''} found; nothing was started`, problems);
  const seqLen = trials[0]!.variant.seqLen;
  const dataset = await prepareDatasetCached(loaded.spec.dataset, { seqLen, baseDir: loaded.baseDir, cacheDir: config.cacheDir });
  const tasks = trials[0]!.variant.tasks;
  if (tasks !== dataset.taskNames.length) {
    throw new UserError(
      `${specPath}: model.tasks: the model has ${tasks} output${tasks === 1 ? '' : 's'} but the dataset has ${dataset.taskNames.length} task${dataset.taskNames.length === 1 ? '' : 's'} (${dataset.taskNames.join(', ')}); set "tasks": ${dataset.taskNames.length} in model`,
    );
  }
  return { loaded, trials, dataset };
}
