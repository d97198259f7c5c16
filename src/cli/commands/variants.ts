import { fileSize, sourceFile } from '../../data/source.js';
import { UserError } from '../../errors.js';
import { parseBackend } from '../../train/backend-name.js';
import { parseCommandArgs, parsePositiveInt, withStreamedOutput, type Command } from '../command.js';
import { withDb } from './status.js';

const usage = `Usage: sweep variants --model DIR|SWEEP_ID --vcf calls.vcf[.gz] --genome REF.fa [--out effects.tsv] [--format tsv|vcf] [--strict] [--batch N] [--backend B]

Scores every variant of a VCF with an exported model: for each ALT allele (multi-allelic records
are split), the window of the model's seqLen centred on the REF allele and the one centred on the
ALT allele, with the genome's bases around them (an indel's alternative window takes more or less
flank, so it stays seqLen long); both strands averaged when the model was trained with
reverseComplement. Per task T: T_ref and T_alt (probabilities), T_diff = alt - ref and
T_logodds = logit(alt) - logit(ref) (probabilities clamped to [1e-7, 1 - 1e-7]).

SNVs and indels with REF and ALT up to 50 bp are scored; longer alleles, symbolic ALTs
('<DEL>', '*', breakends) and variants whose window would run past a chromosome end are skipped
and counted on standard error. The VCF (plain or bgzipped) is streamed: memory stays flat.

Output (standard output, or --out FILE, which appears only when complete):
  tsv  columns chrom pos id ref alt, then T_ref T_alt T_diff T_logodds for each task, then
       ref_match (1 when the REF allele equals the genome's bases, case ignored; else 0)
  vcf  the input VCF with the same scores in INFO fields T_ref, T_alt, T_diff, T_logodds
       (Number=A: one value per ALT, '.' for a skipped one), a ref_mismatch flag, and their
       ##INFO header lines

Options:
  --model DIR|SWEEP_ID  an exported model folder, or a sweep id (its best model)
  --vcf FILE            the variants (VCF, .vcf.gz from bgzip works)
  --genome FILE         the reference genome: FASTA with its samtools .fai index
  --out FILE            write here instead of standard output
  --format tsv|vcf      output format (default tsv)
  --strict              stop at the first REF that differs from the genome (default: flag it)
  --batch N             windows per forward pass (default: the model's training batch size)
  --backend B           auto (default: the fastest present), tfjs-node-gpu, tfjs-node, wasm, cpu
`;

const variants: Command = {
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      'variants',
      argv,
      {
        model: { type: 'string' },
        vcf: { type: 'string' },
        genome: { type: 'string' },
        out: { type: 'string' },
        format: { type: 'string' },
        strict: { type: 'boolean' },
        batch: { type: 'string' },
        backend: { type: 'string' },
      },
      { min: 0, max: 0, names: 'no positional arguments (--model, --vcf and --genome)' },
    );
    for (const flag of ['model', 'vcf', 'genome'] as const) {
      if (values[flag] === undefined) throw new UserError(`sweep variants: --${flag} is required. See 'sweep variants --help'.`);
    }
    const format = values.format ?? 'tsv';
    if (format !== 'tsv' && format !== 'vcf') throw new UserError(`--format: expected tsv or vcf, got '${format}'`);
    const backend = parseBackend(values.backend ?? 'auto');
    const batchFlag = parsePositiveInt('batch', values.batch);
    // Cheap checks first: the model folder, the VCF and the genome, before loading tfjs.
    const { resolveModelDir, readModelInfo, loadWeights } = await import('../../predict/model.js');
    const model = readModelInfo(await resolveModelDir(values.model!, withDb));
    const vcf = sourceFile(values.vcf!, process.cwd());
    fileSize(vcf);
    const { openReferenceGenome } = await import('../../genome/reference.js');
    const genome = await openReferenceGenome(values.genome!);
    try {
      const { selectBackend } = await import('../../train/backend.js');
      const { scoreVariants, describeSummary } = await import('../../variants/score.js');
      const { ByteProgress } = await import('../../predict/progress.js');
      const chosen = await selectBackend(backend);
      const weights = await loadWeights(model);
      if (!model.taskNamesKnown) process.stderr.write(`note: ${model.dir} does not name its tasks; columns are named after ${model.taskNames.join(', ')}\n`);
      const progress = new ByteProgress('variants', fileSize(vcf), 'records');
      const started = performance.now();
      const summary = await withStreamedOutput('variants', values.out, progress, (write) =>
        scoreVariants(model, weights, genome, vcf, write, {
          format,
          strict: values.strict === true,
          batch: batchFlag ?? model.variant.batchSize,
          rcAverage: model.reverseComplement,
          onProgress: (bytes, records) => progress.update(bytes, records),
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(`${describeSummary(summary)}; ${seconds.toFixed(1)} s (${Math.round(summary.records / seconds)} records/s, ${chosen})${values.out ? ` -> ${values.out}` : ''}\n`);
      return 0;
    } finally {
      await genome.close();
    }
  },
};

export default variants;
