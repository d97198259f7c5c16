import { loadConfig } from '../../config/index.js';
import { UserError } from '../../errors.js';
import { parseBackend } from '../../train/backend-name.js';
import { parseCommandArgs, parsePositiveInt, type Command } from '../command.js';
import { withReadSource } from './status.js';

const usage = `Usage: sweep report SWEEP_ID [--out report.html] [--data FILE] [--motifs N] [--curves N]

One self-contained HTML file about a sweep (it opens without a network): the leaderboard, the
learning curves of the top trials, validation ROC AUC against each searched parameter, the
trials of each worker over time, and sequence logos of the best model's first-layer motifs with
their best JASPAR matches (as sweep motifs computes them).

Options:
  --out FILE    where to write (default report.html); written only when complete
  --data FILE   sequences for the motifs (default: the sweep's validation split from this
                machine's dataset cache)
  --motifs N    motifs shown, best JASPAR p-value first (default 6)
  --curves N    learning curves of the N best trials (default 5)
  --backend B   backend that loads the model (default auto)
`;

const report: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      'report',
      argv,
      { out: { type: 'string' }, data: { type: 'string' }, motifs: { type: 'string' }, curves: { type: 'string' }, format: { type: 'string' }, backend: { type: 'string' } },
      { min: 1, max: 1, names: 'SWEEP_ID' },
    );
    const out = values.out ?? 'report.html';
    const motifs = parsePositiveInt('motifs', values.motifs, 6);
    const curves = parsePositiveInt('curves', values.curves, 5);
    const backend = parseBackend(values.backend ?? 'auto');
    const { sequenceInput } = await import('../../predict/sequences.js');
    const data = values.data === undefined ? undefined : sequenceInput(values.data, values.format, '--data');
    const { buildReport } = await import('../../report/index.js');
    const html = await buildReport(withReadSource, loadConfig(), positionals[0]!, { data, motifs, curves, backend });
    const { writeFileAtomically } = await import('../../atomic-file.js');
    try {
      writeFileAtomically(out, [Buffer.from(html)]);
    } catch (err) {
      throw new UserError(`--out ${out}: cannot write there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
    }
    console.log(`Report: ${out} (${(html.length / 1024).toFixed(0)} KB)`);
    return 0;
  },
};

export default report;
