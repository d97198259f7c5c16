import { UserError } from '../../errors.js';
import { parseBackend } from '../../train/backend-name.js';
import { parseCommandArgs, parsePositiveInt, printJson, type Command } from '../command.js';
import { table } from '../report.js';
import { withDb } from './status.js';

const usage = `Usage: sweep motifs --model DIR|SWEEP_ID --data FILE [--threshold 0.5] [--out motifs.meme] [--json] [--top N]

Reads each first-layer convolution filter of the model as a motif (DanQ's method): the position
frequency matrix of every window of the data whose activation exceeds THRESHOLD x the filter's
maximum activation over the data. Each motif is compared with the 879 JASPAR CORE 2024 vertebrate
motifs (non-redundant, latest versions) shipped in src/data/jaspar (JASPAR, CC BY 4.0), named by
matrix id and TF (e.g. MA0139.2 CTCF), Tomtom-like: the best offset on both strands, scored by
the sum of column-wise Pearson correlations, with an empirical p-value against column-shuffled
copies of the filter motif (seeded: the same input gives the same output).

Options:
  --model DIR|SWEEP_ID  an exported model folder, or a sweep id (its best model)
  --data FILE           sequences to read the filters on (TSV/CSV/FASTA/DeepSEA, as sweep predict)
  --threshold T         fraction of each filter's maximum activation (default 0.5, as DanQ)
  --out FILE            also write the motifs in MEME minimal format
  --json                print {threshold, sequences, comparison, filters: [...]} instead of a table
  --top N               JASPAR matches per filter in --json (default 5); the table shows the best
  --format F            format of --data when its extension does not say
  --backend B           backend that loads the model (default auto)
`;

const motifs: Command = {
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      'motifs',
      argv,
      {
        model: { type: 'string' },
        data: { type: 'string' },
        threshold: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        top: { type: 'string' },
        format: { type: 'string' },
        backend: { type: 'string' },
      },
      { min: 0, max: 0, names: 'no positional arguments (--model and --data)' },
    );
    if (values.model === undefined) throw new UserError("sweep motifs: --model DIR|SWEEP_ID is required. See 'sweep motifs --help'.");
    if (values.data === undefined) throw new UserError("sweep motifs: --data FILE is required: the sequences to read the filters on. See 'sweep motifs --help'.");
    const threshold = values.threshold === undefined ? 0.5 : Number(values.threshold);
    if (!(threshold > 0 && threshold <= 1)) throw new UserError(`--threshold: expected a number in (0, 1], got '${values.threshold}'`);
    const top = parsePositiveInt('top', values.top, 5);
    const backend = parseBackend(values.backend ?? 'auto');
    const { resolveModelDir, readModelInfo, loadWeights } = await import('../../predict/model.js');
    const { sequenceInput } = await import('../../predict/sequences.js');
    const model = readModelInfo(await resolveModelDir(values.model, withDb));
    const input = sequenceInput(values.data, values.format, '--data');
    const { selectBackend } = await import('../../train/backend.js');
    const { analyseFilters, fileSource, formatMeme } = await import('../../motifs/index.js');
    await selectBackend(backend);
    const weights = await loadWeights(model);
    const analysis = await analyseFilters(model.variant, weights, fileSource(input, model.variant.seqLen, model.lengthPolicy), { threshold, top });
    if (values.out !== undefined) {
      const { writeFileAtomically } = await import('../../atomic-file.js');
      try {
        writeFileAtomically(values.out, [Buffer.from(formatMeme(analysis.filters))]);
      } catch (err) {
        throw new UserError(`--out ${values.out}: cannot write there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
      }
    }
    if (values.json) {
      printJson(analysis);
      return 0;
    }
    const ranked = analysis.filters.filter((f) => f.matches.length > 0).sort((a, b) => a.matches[0]!.pValue - b.matches[0]!.pValue || b.matches[0]!.score - a.matches[0]!.score);
    const rows = ranked.map((f) => {
      const m = f.matches[0]!;
      return [
        `filter${f.filter}`,
        String(f.sites),
        f.informationContent.toFixed(1),
        f.consensus,
        `${m.id} ${m.name}`,
        m.consensus,
        m.score.toFixed(2),
        m.pValue.toExponential(1),
        m.eValue.toPrecision(2),
        m.strand,
      ];
    });
    console.log(`${analysis.filters.length} filters on ${analysis.sequences} sequences (threshold ${threshold}); ${analysis.filters.length - ranked.length} never fire.`);
    console.log(`Comparison: ${analysis.comparison}.\n`);
    console.log(table(['filter', 'sites', 'bits', 'motif', 'best match', 'its consensus', 'score', 'p', 'E', 'strand'], rows));
    if (values.out !== undefined) console.log(`\nMEME motifs: ${values.out}`);
    return 0;
  },
};

export default motifs;
