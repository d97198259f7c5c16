import { openArtifactStore, type Freed } from '../../artifacts/index.js';
import { loadConfig } from '../../config/index.js';
import { isTerminalSweepStatus, type SweepStatus } from '../../domain/status.js';
import { parseCommandArgs, printJson, type Command } from '../command.js';
import { table } from '../report.js';
import { withDb } from './status.js';

const command: Command = {
  usage: `Usage: sweep gc [--dry-run] [--json]

Frees what finished sweeps (completed, cancelled or failed) no longer need: their trials' checkpoints
under SWEEP_ARTIFACTS, and the temp files that writers which died left there and under SWEEP_MODELS.
Best models are kept; running and paused sweeps are not touched. A cancelled or failed sweep's trials
lose their checkpoints: trained again, they start from epoch 1.
  --dry-run  print what would be freed, remove nothing
  --json     print the sweeps and what was freed as JSON`,
  async run(argv) {
    const { values } = parseCommandArgs('gc', argv, { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } }, { min: 0, max: 0, names: 'no positional arguments' });
    const dryRun = values['dry-run'] === true;
    const config = loadConfig();
    const sweeps = (await withDb((db) => db.listSweeps())).filter((s) => isTerminalSweepStatus(s.status));
    const [artifacts, models] = await Promise.all([openArtifactStore(config.artifactsDir, config.s3), openArtifactStore(config.modelsDir, config.s3)]);
    const freed: ({ sweepId: string; status: SweepStatus } & Freed)[] = [];
    for (const sweep of sweeps) {
      const checkpoints = await artifacts.clear(sweep.id, { dryRun });
      const leftovers = await models.clear(sweep.id, { dryRun, leftoversOnly: true });
      const files = checkpoints.files + leftovers.files;
      if (files > 0) freed.push({ sweepId: sweep.id, status: sweep.status, files, bytes: checkpoints.bytes + leftovers.bytes });
    }
    const total = freed.reduce((sum, f) => sum + f.bytes, 0);
    if (values.json) printJson({ dryRun, freed, bytes: total });
    else {
      if (freed.length > 0) {
        console.log(
          table(
            ['sweep', 'status', 'files', 'MB'],
            freed.map((f) => [f.sweepId, f.status, String(f.files), megabytes(f.bytes)]),
          ),
        );
      }
      const files = freed.reduce((sum, f) => sum + f.files, 0);
      console.log(`${dryRun ? 'Would free' : 'Freed'} ${megabytes(total)} MB in ${files} file(s) of ${freed.length} finished sweep(s).`);
    }
    return 0;
  },
};
export default command;

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);
