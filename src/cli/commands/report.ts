import { loadConfig } from '../../config/index.js';
import { fileSize, sourceFile } from '../../data/source.js';
import { UserError } from '../../errors.js';
import { parseBackend } from '../../train/backend-name.js';
import { parseCommandArgs, parsePositiveInt, type Command } from '../command.js';
import { withReadSource } from './status.js';

const usage = `Usage: sweep report SWEEP_ID [--out report.html] [--data FILE] [--motifs N] [--curves N] [--ism ism.tsv]
       sweep report --ism ism.tsv [--out report.html]

One self-contained HTML file about a sweep (it opens without a network): the leaderboard, the
learning curves of the top trials, validation ROC AUC against each searched parameter, the
trials of each worker over time, and sequence logos of the best model's first-layer motifs with
their best JASPAR matches (as sweep motifs computes them). With --ism, also (or, without a
SWEEP_ID, only) the mutagenesis of 'sweep ism': per sequence and task, a heat map of alt - ref
probability (bases x positions) and the logo of its most important stretch (up to 24 positions;
each column the base distribution the model implies there, softmax of the four bases' log-odds
effects); the first 6 sequences of the table are drawn.

Options:
  --out FILE    where to write (default report.html); written only when complete
  --data FILE   sequences for the motifs (default: the sweep's validation split from this
                machine's dataset cache)
  --motifs N    motifs shown, best JASPAR p-value first (default 6)
  --curves N    learning curves of the N best trials (default 5)
  --backend B   backend that loads the model (default auto)
  --ism FILE    a 'sweep ism' table to draw
`;

const report: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      'report',
      argv,
      { out: { type: 'string' }, data: { type: 'string' }, motifs: { type: 'string' }, curves: { type: 'string' }, format: { type: 'string' }, backend: { type: 'string' }, ism: { type: 'string' } },
      { min: 0, max: 1, names: 'SWEEP_ID' },
    );
    if (positionals.length === 0 && values.ism === undefined) throw new UserError("sweep report: expected SWEEP_ID (or --ism FILE alone). See 'sweep report --help'.");
    const out = values.out ?? 'report.html';
    const motifs = parsePositiveInt('motifs', values.motifs, 6);
    const curves = parsePositiveInt('curves', values.curves, 5);
    const backend = parseBackend(values.backend ?? 'auto');
    const { sequenceInput } = await import('../../predict/sequences.js');
    const data = values.data === undefined ? undefined : sequenceInput(values.data, values.format, '--data');
    const ism = values.ism === undefined ? undefined : sourceFile(values.ism, process.cwd());
    if (ism) fileSize(ism);
    const { buildReport, buildIsmReport } = await import('../../report/index.js');
    const html = positionals[0] === undefined ? await buildIsmReport(ism!) : await buildReport(withReadSource, loadConfig(), positionals[0], { data, motifs, curves, backend, ism });
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
