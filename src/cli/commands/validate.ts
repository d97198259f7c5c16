import { loadConfig } from '../../config/index.js';
import { describeGenomeStats } from '../../data/genome-dataset.js';
import { genomeStatsOf } from '../../data/store.js';
import { parseCommandArgs, printJson, type Command } from '../command.js';
import { prepareSweep } from '../prepare.js';

const command: Command = {
  usage: `Usage: sweep validate SPEC.json [--json]

Checks the spec against its schema, builds every planned variant's shapes (no compute), and reads
the whole dataset once (format, labels, lengths, characters; fingerprint). Exit 0 when all is well,
2 with every problem and its JSON path otherwise. Nothing is written to the database.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('validate', argv, { json: { type: 'boolean' } }, { min: 1, max: 1, names: 'SPEC.json' });
    const { loaded, trials, dataset } = await prepareSweep(positionals[0]!, loadConfig());
    const genome = genomeStatsOf(dataset);
    const counts = { train: dataset.splits.train.count, valid: dataset.splits.valid.count, ...(dataset.splits.test ? { test: dataset.splits.test.count } : {}) };
    const summary = {
      spec: positionals[0],
      name: loaded.spec.name,
      strategy: loaded.spec.strategy.type,
      trials: trials.length,
      dataset: { fingerprint: dataset.fingerprint, tasks: dataset.taskNames, train: dataset.splits.train.count, valid: dataset.splits.valid.count, ...(genome ? { test: counts.test, genome } : {}) },
    };
    if (values.json) printJson({ ok: true, ...summary });
    else
      console.log(
        `OK: ${summary.name}: ${summary.trials} trial${summary.trials === 1 ? '' : 's'} (${summary.strategy}), every variant's shapes check out; ` +
          `data: ${summary.dataset.train} train / ${summary.dataset.valid} valid sequences, ${dataset.taskNames.length} task(s), fingerprint ${dataset.fingerprint.slice(0, 12)}`,
      );
    if (genome && !values.json) console.log(describeGenomeStats({ ...genome, counts }, dataset.taskNames).join('\n'));
    return 0;
  },
};
export default command;
