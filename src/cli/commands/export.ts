import path from 'node:path';
import { checkpointDir } from '../../activities/index.js';
import { joinLocation } from '../../artifacts/index.js';
import { loadConfig } from '../../config/index.js';
import { isFinishedTrialStatus } from '../../domain/status.js';
import { UserError } from '../../errors.js';
import { exportedDataset, exportModel } from '../../train/export.js';
import { parseCommandArgs, parsePositiveInt, printJson, type Command } from '../command.js';
import { withDb } from './status.js';

const exportCommand: Command = {
  usage: `Usage: sweep export SWEEP_ID --trial N [--out DIR] [--json]

Exports trial N's best-epoch weights as a TensorFlow.js layers model, as the sweep exports its best
model: any member of a Pareto front (sweep status lists them), or any other finished trial.
  --trial N   the trial number (sweep status shows it as trial-N)
  --out DIR   a directory or s3://bucket/prefix (default SWEEP_MODELS/SWEEP_ID/trial-N)
  --json      print {"sweepId", "trialId", "modelPath"}`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('export', argv, { trial: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, { min: 1, max: 1, names: 'SWEEP_ID' });
    const sweepId = positionals[0]!;
    const number = parsePositiveInt('--trial', values.trial);
    if (number === undefined) throw new UserError('--trial: required (the trial number to export, e.g. --trial 3)');
    const config = loadConfig();
    const modelPath = await withDb(async (db) => {
      const sweep = await db.getSweep(sweepId);
      if (!sweep) throw new UserError(`SWEEP_ID: no sweep '${sweepId}' in the database (sweep list shows the sweeps)`);
      const trial = (await db.listTrials(sweepId)).find((t) => t.number === number);
      if (!trial) throw new UserError(`--trial: ${sweepId} has no trial ${number} (sweep status ${sweepId} lists its trials)`);
      if (trial.bestEpoch === null || !isFinishedTrialStatus(trial.status)) {
        throw new UserError(`--trial: trial ${number} of ${sweepId} has no finished result to export (status ${trial.status})`);
      }
      const outDir = values.out === undefined ? joinLocation(config.modelsDir, sweepId, `trial-${number}`) : /^s3:\/\//.test(values.out) ? values.out : path.resolve(values.out);
      await exportModel(checkpointDir(config, sweepId, trial.id), trial.variant, outDir, config.s3, exportedDataset(sweep, config.cacheDir));
      return outDir;
    });
    if (values.json) printJson({ sweepId, trialId: `${sweepId}-trial-${number}`, modelPath });
    else console.log(`Exported trial ${number} of ${sweepId} (TensorFlow.js layers format): ${modelPath}`);
    return 0;
  },
};

export default exportCommand;
