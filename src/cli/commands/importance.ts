import { UserError } from '../../errors.js';
import { IMPORTANCE_METHODS, type ImportanceMethod } from '../../importance/index.js';
import { parseCommandArgs, printJson, type Command } from '../command.js';
import { table } from '../report.js';
import { withReadSource } from './status.js';

const usage = `Usage: sweep importance SWEEP_ID [--method ped-anova|fanova] [--json]

Which searched parameters mattered for the sweep's objective (val ROC AUC unless the spec says
otherwise), from its completed trials, as Optuna 5 computes it: importances sum to 1, largest first.

Options:
  --method M   ped-anova (default): Optuna 5's default, deterministic; how much each parameter's
               values among the best 10% of trials differ from all trials.
               fanova: the share of a random forest's variance each parameter explains (seeded,
               so the numbers repeat; within about 0.05 of Optuna's own, which vary as much by seed)
  --json       {"method": "ped-anova", "importances": {"<param>": <number>, ...}}
Exit 2 when the sweep is unknown or has fewer than 2 completed trials.`;

const importance: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('importance', argv, { method: { type: 'string' }, json: { type: 'boolean' } }, { min: 1, max: 1, names: 'SWEEP_ID' });
    const method = values.method ?? 'ped-anova';
    if (!(IMPORTANCE_METHODS as readonly string[]).includes(method)) throw new UserError(`--method: expected ${IMPORTANCE_METHODS.join(' or ')}, got '${method}'`);
    const sweepId = positionals[0]!;
    const { sweepImportance } = await import('../../db/read-model.js');
    const result = await withReadSource((src) => sweepImportance(src, sweepId, method as ImportanceMethod));
    if (!result) throw new UserError(`SWEEP_ID: no sweep '${sweepId}' in the database (sweep list shows the sweeps)`);
    if (values.json) {
      printJson({ method: result.method, importances: result.importances });
      return 0;
    }
    console.log(`Parameter importance of ${sweepId} for ${result.metric} (${result.method}, ${result.trials} completed trials):`);
    console.log(
      table(
        ['parameter', 'importance', ''],
        result.ranking.map((r) => [r.parameter, r.importance.toFixed(3), '#'.repeat(Math.round(r.importance * 40))]),
      ),
    );
    return 0;
  },
};

export default importance;
