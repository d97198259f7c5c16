/**
 * The `dataset` object of a sweep spec. Pure (zod only, no Node modules) so the spec engine and
 * its JSON Schema export can embed it.
 */
import { z } from 'zod';
import { expected, nonNegativeInt as nonNegativeIntField, positiveInt as positiveIntField } from '../field-schemas.js';

export const datasetFormats = ['tsv', 'csv', 'fasta', 'deepsea', 'synthetic', 'genome'] as const;
export type DatasetFormat = (typeof datasetFormats)[number];

const lengthPolicies = ['error', 'center-crop', 'pad'] as const;
export type LengthPolicy = (typeof lengthPolicies)[number];

const negativeKinds = ['background', 'shuffled'] as const;
export type NegativeKind = (typeof negativeKinds)[number];

const filePath = (description: string) => z.string(expected('a file path')).min(1, expected('a file path')).describe(description);
const nonNegativeInt = (description: string) => nonNegativeIntField().describe(description);
const positiveInt = (description: string) => positiveIntField().describe(description);

/** Keys that only a synthetic dataset takes. */
const syntheticKeys = ['samples', 'motifs', 'tasks', 'seed'] as const;
/** Keys that only a genome-backed dataset takes. */
const genomeKeys = ['genome', 'targets', 'window', 'bin', 'split', 'blacklist', 'maxNFraction'] as const;
/** Keys of the file formats that a genome-backed dataset has no use for. */
const fileKeys = ['train', 'valid', 'test', 'labels', 'validFraction', 'splitSeed', 'lengthPolicy'] as const;

const fraction = (what: string) => z.number(expected(what)).min(0, expected(what)).max(1, expected(what));
const chromosomeList = (description: string) => z.array(z.string(expected('a chromosome name')).min(1, expected('a chromosome name')), expected('an array of chromosome names')).describe(description);

const genomeNegativesSchema = z
  .strictObject({
    ratio: z.number(expected('a number >= 0')).min(0, expected('a number >= 0')).optional().describe('Negative windows sampled per positive window (default 1)'),
    seed: nonNegativeInt('Seed of the negative sampling (default 1)').optional(),
    gcMatched: z.boolean(expected('true or false')).optional().describe("Sample negatives with the positives' GC content (default false)"),
  })
  .describe('genome: negatives sampled from bins positive for no task');

export type GenomeNegatives = z.infer<typeof genomeNegativesSchema>;

export const datasetSpecSchema = z
  .strictObject({
    format: z
      .enum(datasetFormats, expected(datasetFormats.map((f) => `'${f}'`).join(', ')))
      .optional()
      .describe('File format; inferred from the train file extension when omitted (.tsv, .csv, .fa/.fasta, .mat/.h5)'),
    train: filePath('Training data: TSV/CSV, FASTA or DeepSEA train.mat (relative to the spec file; .gz works)').optional(),
    valid: filePath('Validation data in the same format (or use validFraction)').optional(),
    test: filePath('Optional held-out test data in the same format').optional(),
    labels: filePath('FASTA only: a TSV with an id column and one 0/1 column per task, keyed by FASTA record id').optional(),
    validFraction: z
      .number(expected('a number between 0 and 1'))
      .gt(0, expected('a number between 0 and 1'))
      .lt(1, expected('a number between 0 and 1'))
      .optional()
      .describe('Hold out this fraction of the train file as validation data (instead of a valid file)'),
    splitSeed: nonNegativeInt('Seed of the validFraction split (default 0)').optional(),
    lengthPolicy: z
      .enum(lengthPolicies, expected(lengthPolicies.map((p) => `'${p}'`).join(', ')))
      .optional()
      .describe("Sequences not seqLen long: 'error' (default), 'center-crop' longer ones, 'pad' shorter ones with N"),
    reverseComplement: z.boolean(expected('true or false')).optional().describe('Train on reverse complements too and average both strands when predicting'),
    samples: positiveInt('synthetic: number of sequences (default 4000)').optional(),
    motifs: z
      .array(nonNegativeInt('JASPAR motif index'), expected('an array of JASPAR motif indices'))
      .min(1, expected('at least one JASPAR motif index'))
      .optional()
      .describe('synthetic: JASPAR CORE 2016 vertebrate motif indices, one per task'),
    tasks: positiveInt('synthetic: number of tasks, one motif each (default: number of motifs, or 1)').optional(),
    seed: nonNegativeInt('synthetic: generator seed (default 1)').optional(),
    negatives: z
      .union(
        [
          z
            .enum(negativeKinds, expected(negativeKinds.map((k) => `'${k}'`).join(' or ')))
            .describe("synthetic: 'background' (default) or 'shuffled' (dinucleotide-shuffled motif instances, the harder control)"),
          genomeNegativesSchema,
        ],
        expected(`${negativeKinds.map((k) => `'${k}'`).join(' or ')} (synthetic) or an object {"ratio", "seed", "gcMatched"} (genome)`),
      )
      .optional(),
    genome: filePath('genome: the reference genome, FASTA (+ .fai, built when missing), bgzipped FASTA (+ .fai + .gzi) or .2bit').optional(),
    targets: z
      .array(
        z.strictObject({
          name: z.string(expected('a task name')).min(1, expected('a task name')).describe('Task name'),
          peaks: filePath("The task's peaks: BED or narrowPeak, .gz allowed"),
        }),
        expected('an array of {"name", "peaks"} objects'),
      )
      .min(1, expected('at least one target'))
      .optional()
      .describe('genome: one task per target, labelled from its peak file'),
    window: positiveInt("genome: the model's input length in bp, centred on each bin (model.seqLen must equal it)").optional(),
    bin: positiveInt('genome: bins of this many bp are labelled; positive when at least half of the bin lies in one peak').optional(),
    split: z
      .strictObject({
        valid: chromosomeList('Validation chromosomes').min(1, expected('at least one chromosome')),
        test: chromosomeList('Test chromosomes (optional)').optional(),
      })
      .optional()
      .describe('genome: held-out chromosomes; every other chromosome trains'),
    blacklist: filePath('genome: BED of regions to leave out (windows overlapping them are dropped)').optional(),
    maxNFraction: fraction('a number between 0 and 1').optional().describe('genome: windows with a larger fraction of N are dropped (default 0.1)'),
  })
  .superRefine((spec, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const format = spec.format ?? (spec.train === undefined ? undefined : inferFormat(spec.train));
    if (format === 'genome') {
      genomeProblems(spec, problem);
      return;
    }
    for (const key of genomeKeys) {
      if (spec[key] !== undefined) problem(key, `only a genome-backed dataset takes '${key}' (set "format": "genome")`);
    }
    if (spec.negatives !== undefined && typeof spec.negatives !== 'string') {
      problem(
        'negatives',
        `an object {"ratio", "seed", "gcMatched"} is for genome-backed datasets; ${format === 'synthetic' ? "a synthetic dataset takes 'background' or 'shuffled'" : 'this format takes none'}`,
      );
    }
    if (format === 'synthetic') {
      for (const key of ['train', 'valid', 'test', 'labels'] as const) {
        if (spec[key] !== undefined) problem(key, `a synthetic dataset is generated, so it takes no '${key}' file`);
      }
      if (spec.motifs && spec.tasks !== undefined && spec.motifs.length !== spec.tasks) {
        problem('tasks', `must equal the number of motifs (${spec.motifs.length}): each task is one motif, got ${spec.tasks}`);
      }
      return;
    }
    for (const key of [...syntheticKeys, 'negatives'] as const) {
      if (spec[key] !== undefined) problem(key, `only a synthetic dataset takes '${key}' (set "format": "synthetic")`);
    }
    if (spec.train === undefined) {
      problem('train', 'is required: the path of the training data file');
      return;
    }
    if (format === undefined) {
      problem('format', `is needed: cannot tell the format of '${spec.train}' from its extension (expected .tsv, .csv, .fa, .fasta, .mat or .h5, optionally .gz)`);
      return;
    }
    if (spec.valid !== undefined && spec.validFraction !== undefined) {
      problem('validFraction', 'cannot be combined with a valid file: use one or the other');
    }
    if (spec.valid === undefined && spec.validFraction === undefined) {
      problem('valid', 'is required (a validation file), or set validFraction to hold out part of the train file');
    }
    if (format === 'fasta' && spec.labels === undefined) {
      problem('labels', 'is required for FASTA data: a TSV with an id column and one 0/1 column per task');
    }
    if (format !== 'fasta' && spec.labels !== undefined) {
      problem('labels', `only FASTA data takes a separate labels file; ${format} files carry their labels`);
    }
  })
  .describe('The dataset: files and how to encode them');

export type DatasetSpec = z.infer<typeof datasetSpecSchema>;

type Problem = (path: string, message: string) => void;

function genomeProblems(spec: DatasetSpec, problem: Problem): void {
  for (const key of [...fileKeys, ...syntheticKeys]) {
    if (spec[key] !== undefined) problem(key, `a genome-backed dataset is cut from the genome and its peaks, so it takes no '${key}'`);
  }
  if (typeof spec.negatives === 'string') problem('negatives', `a genome-backed dataset takes an object {"ratio", "seed", "gcMatched"}, got '${spec.negatives}'`);
  const required = {
    genome: 'the reference genome file',
    targets: 'one {"name", "peaks"} per task',
    window: 'the window length in bp',
    bin: 'the bin length in bp',
    split: '{"valid": [chromosomes], "test": [chromosomes]}',
  };
  for (const [key, what] of Object.entries(required)) {
    if (spec[key as keyof typeof required] === undefined) problem(key, `is required for a genome-backed dataset: ${what}`);
  }
  if (spec.window !== undefined && spec.bin !== undefined && spec.bin > spec.window) problem('bin', `must be at most window (${spec.window}), got ${spec.bin}: the window is centred on the bin`);
  const names = new Set<string>();
  spec.targets?.forEach((target, i) => {
    if (names.has(target.name)) problem('targets', `[${i}].name '${target.name}' appears twice; task names must be unique`);
    names.add(target.name);
  });
  const valid = new Set(spec.split?.valid ?? []);
  for (const chrom of spec.split?.test ?? []) {
    if (valid.has(chrom)) problem('split', `${chrom} is in both valid and test; a chromosome belongs to one split`);
  }
}

/** The format a file name implies, or undefined when the extension says nothing. */
export function inferFormat(file: string): Exclude<DatasetFormat, 'synthetic' | 'genome'> | undefined {
  const name = file.toLowerCase().replace(/\.(gz|bgz)$/, '');
  if (/\.(tsv|txt)$/.test(name)) return 'tsv';
  if (name.endsWith('.csv')) return 'csv';
  if (/\.(fa|fasta|fna)$/.test(name)) return 'fasta';
  if (/\.(mat|h5|hdf5)$/.test(name)) return 'deepsea';
  return undefined;
}
