/**
 * The `dataset` object of a sweep spec. Pure (zod only, no Node modules) so the spec engine and
 * its JSON Schema export can embed it.
 */
import { z } from 'zod';
import { expected, nonNegativeInt as nonNegativeIntField, positiveInt as positiveIntField } from '../field-schemas.js';

export const datasetFormats = ['tsv', 'csv', 'fasta', 'deepsea', 'synthetic'] as const;
export type DatasetFormat = (typeof datasetFormats)[number];

const lengthPolicies = ['error', 'center-crop', 'pad'] as const;
export type LengthPolicy = (typeof lengthPolicies)[number];

const negativeKinds = ['background', 'shuffled'] as const;
export type NegativeKind = (typeof negativeKinds)[number];

const filePath = (description: string) => z.string(expected('a file path')).min(1, expected('a file path')).describe(description);
const nonNegativeInt = (description: string) => nonNegativeIntField().describe(description);
const positiveInt = (description: string) => positiveIntField().describe(description);

/** Keys that only a synthetic dataset takes. */
const syntheticKeys = ['samples', 'motifs', 'tasks', 'seed', 'negatives'] as const;

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
      .enum(negativeKinds, expected(negativeKinds.map((k) => `'${k}'`).join(' or ')))
      .optional()
      .describe("synthetic: 'background' (default) or 'shuffled' (dinucleotide-shuffled motif instances, the harder control)"),
  })
  .superRefine((spec, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const format = spec.format ?? (spec.train === undefined ? undefined : inferFormat(spec.train));
    if (format === 'synthetic') {
      for (const key of ['train', 'valid', 'test', 'labels'] as const) {
        if (spec[key] !== undefined) problem(key, `a synthetic dataset is generated, so it takes no '${key}' file`);
      }
      if (spec.motifs && spec.tasks !== undefined && spec.motifs.length !== spec.tasks) {
        problem('tasks', `must equal the number of motifs (${spec.motifs.length}): each task is one motif, got ${spec.tasks}`);
      }
      return;
    }
    for (const key of syntheticKeys) {
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

/** The format a file name implies, or undefined when the extension says nothing. */
export function inferFormat(file: string): Exclude<DatasetFormat, 'synthetic'> | undefined {
  const name = file.toLowerCase().replace(/\.(gz|bgz)$/, '');
  if (/\.(tsv|txt)$/.test(name)) return 'tsv';
  if (name.endsWith('.csv')) return 'csv';
  if (/\.(fa|fasta|fna)$/.test(name)) return 'fasta';
  if (/\.(mat|h5|hdf5)$/.test(name)) return 'deepsea';
  return undefined;
}
