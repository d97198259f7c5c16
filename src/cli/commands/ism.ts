import { UserError } from '../../errors.js';
import { parseBackend } from '../../train/backend-name.js';
import type { IsmTarget } from '../../variants/ism.js';
import { parseCommandArgs, parsePositiveInt, withStreamedOutput, type Command } from '../command.js';
import { withDb } from './status.js';

const usage = `Usage: sweep ism --model DIR|SWEEP_ID (--genome REF.fa --region chr:start-end | --sequences FILE) [--out ism.tsv] [--batch N] [--backend B]

In silico saturation mutagenesis: every position changed to each of the other three bases (all
four at an N), each changed window scored against the unchanged one, both strands averaged when
the model was trained with reverseComplement.

  --region    the window of the model's seqLen centred on the region (1-based, inclusive, as
              samtools writes it; at most seqLen long); only the region's positions change, and
              positions are genome coordinates
  --sequences every sequence of the file (TSV/CSV/FASTA/DeepSEA, as sweep predict reads them),
              every position, numbered 1..seqLen

Output (TSV on standard output, or --out FILE, which appears only when complete): columns
id, pos, ref, alt, then for each task T: T_diff (alt - ref probability) and T_logodds
(logit(alt) - logit(ref)). 'sweep report --ism FILE' draws it as heat maps and logos.

Options:
  --model DIR|SWEEP_ID  an exported model folder, or a sweep id (its best model)
  --genome FILE         reference genome (FASTA with its samtools .fai index), with --region
  --region R            chr:start-end
  --sequences FILE      sequences to mutate, instead of a region
  --format F            format of --sequences when its extension does not say
  --out FILE            write here instead of standard output
  --batch N             windows per forward pass (default: the model's training batch size)
  --backend B           auto (default: the fastest present), tfjs-node-gpu, tfjs-node, wasm, cpu
`;

const ism: Command = {
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      'ism',
      argv,
      {
        model: { type: 'string' },
        genome: { type: 'string' },
        region: { type: 'string' },
        sequences: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        batch: { type: 'string' },
        backend: { type: 'string' },
      },
      { min: 0, max: 0, names: 'no positional arguments' },
    );
    if (values.model === undefined) throw new UserError("sweep ism: --model DIR|SWEEP_ID is required. See 'sweep ism --help'.");
    const byRegion = values.region !== undefined || values.genome !== undefined;
    if (byRegion === (values.sequences !== undefined)) throw new UserError("sweep ism: give either --genome REF --region chr:start-end or --sequences FILE. See 'sweep ism --help'.");
    if (byRegion && (values.region === undefined || values.genome === undefined)) throw new UserError('sweep ism: --genome and --region go together.');
    const backend = parseBackend(values.backend ?? 'auto');
    const batchFlag = parsePositiveInt('batch', values.batch);
    const { resolveModelDir, readModelInfo, loadWeights } = await import('../../predict/model.js');
    const { sequenceInput, readSequences } = await import('../../predict/sequences.js');
    const { parseRegion, regionTarget, mutagenesis, ismHeader } = await import('../../variants/ism.js');
    const model = readModelInfo(await resolveModelDir(values.model, withDb));
    const { seqLen } = model.variant;
    const input = values.sequences === undefined ? undefined : sequenceInput(values.sequences, values.format, '--sequences');
    let region: IsmTarget | undefined;
    if (byRegion) {
      const { openReferenceGenome } = await import('../../genome/reference.js');
      const genome = await openReferenceGenome(values.genome!);
      try {
        region = await regionTarget(genome, parseRegion(values.region!), seqLen);
      } finally {
        await genome.close();
      }
    }
    const { selectBackend } = await import('../../train/backend.js');
    const { WindowScorer } = await import('../../predict/predict.js');
    const chosen = await selectBackend(backend);
    const scorer = new WindowScorer(model, await loadWeights(model), batchFlag ?? model.variant.batchSize, model.reverseComplement);
    const started = performance.now();
    const count = await withStreamedOutput('ism', values.out, { finish: () => scorer.dispose() }, async (write) => {
      write(ismHeader(model.taskNames));
      if (!region) return readSequences(input!, { seqLen, lengthPolicy: model.lengthPolicy }, (id, codes) => write(mutagenesis(scorer, { id, codes, from: 0, to: seqLen, position: (i) => i + 1 })));
      write(mutagenesis(scorer, region));
      return 1;
    });
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`${count} sequence${count === 1 ? '' : 's'} mutated in ${seconds.toFixed(1)} s (${chosen})${values.out ? ` -> ${values.out}` : ''}\n`);
    return 0;
  },
};

export default ism;
