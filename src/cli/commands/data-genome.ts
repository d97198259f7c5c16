/** `sweep data windows` and `sweep data synth-genome`: the genome-backed dataset subcommands of `sweep data`. */
import { writeFileAtomicallyFrom } from '../../atomic-file.js';
import { describeGenomeStats, emptyStats, genomeWindows, openGenomeSources, resolveGenomeInputs } from '../../data/genome-dataset.js';
import { SYNTH_GENOME_DEFAULTS, writeSyntheticGenome } from '../../data/synth-genome.js';
import type { SplitName } from '../../data/store.js';
import { UserError } from '../../errors.js';
import { loadSpec } from '../../sweep-spec/load.js';
import { parseCommandArgs, parsePositiveInt, printJson } from '../command.js';

export const genomeUsage = `       sweep data windows SPEC.json --split train|valid|test --out WINDOWS.fa [--json]
       sweep data synth-genome --out DIR [--seed S] [--chromosomes 3] [--length 2000000]
                        [--motifs 250,11] [--sites-per-mb 300] [--window 200] [--bin 100]
                        [--variants 100] [--json]

windows: writes one split of a genome-backed dataset ("format": "genome") as FASTA, exactly the
windows the sweep trains on: records named chrom:start-end (BED coordinates, 0-based start, as
bedtools getfasta names them), then the labels (CTCF=1 GATA1=0), and the bases as stored in the
genome (soft-masking kept). Prints the windows, positives per task and the dropped windows.

synth-genome: writes a seeded synthetic genome with a known answer into DIR: genome.fa (+ .fai)
with one JASPAR CORE 2016 motif per task planted at known sites, <task>.narrowPeak.gz with a peak
at each site, blacklist.bed, variants.vcf (SNVs on the test chromosome that break a planted site,
INFO EFFECT=break;TASK=<task>, or lie 500 bp from every site, EFFECT=neutral) and spec.json, ready
for 'sweep start DIR/spec.json' (danq-lite, seqLen = window, the last two chromosomes held out).
The same options give the same files, byte for byte.
`;

const SPLITS: readonly SplitName[] = ['train', 'valid', 'test'];

export async function runWindows(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('data windows', argv, { split: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, { min: 1, max: 1, names: 'SPEC.json' });
  const split = values.split as SplitName | undefined;
  if (!split || !SPLITS.includes(split)) throw new UserError(`sweep data windows: --split must be train, valid or test, got ${values.split === undefined ? 'nothing' : `'${values.split}'`}`);
  if (!values.out) throw new UserError("sweep data windows: --out WINDOWS.fa is required. See 'sweep data --help'.");
  const loaded = await loadSpec(positionals[0]!);
  const dataset = loaded.spec.dataset;
  if (dataset.format !== 'genome') throw new UserError(`${positionals[0]}: dataset.format is ${dataset.format ?? 'not set'}; sweep data windows reads genome-backed datasets ("format": "genome").`);
  const inputs = resolveGenomeInputs(dataset, loaded.baseDir);
  if (split === 'test' && inputs.options.split.test.length === 0) throw new UserError(`${positionals[0]}: dataset.split.test names no chromosomes, so there is no test split.`);
  const sources = await openGenomeSources(inputs);
  const stats = emptyStats();
  try {
    await writeFileAtomicallyFrom(values.out, fastaChunks(genomeWindows(sources, inputs.options, [split], stats), inputs.options.taskNames));
  } finally {
    await sources.reference.close();
  }
  const summary = {
    out: values.out,
    split,
    windows: stats.counts[split]!,
    positives: Object.fromEntries(inputs.options.taskNames.map((name, t) => [name, stats.positives[split]![t]])),
    dropped: stats.dropped,
  };
  if (values.json) printJson(summary);
  else process.stdout.write([`wrote ${summary.windows} windows to ${values.out}`, ...describeGenomeStats(stats, inputs.options.taskNames)].join('\n') + '\n');
  return 0;
}

async function* fastaChunks(chromosomes: ReturnType<typeof genomeWindows>, taskNames: readonly string[]): AsyncGenerator<Uint8Array> {
  let text = '';
  for await (const c of chromosomes) {
    for (let i = 0; i < c.starts.length; i++) {
      const start = c.starts[i]!;
      const labels = taskNames.map((name, t) => `${name}=${c.labels[i * taskNames.length + t]}`).join(' ');
      text += `>${c.chrom}:${start}-${start + c.window} ${labels}\n${Buffer.from(c.bases.buffer, c.bases.byteOffset + start, c.window).toString('latin1')}\n`;
      if (text.length > 1 << 20) {
        yield Buffer.from(text, 'latin1');
        text = '';
      }
    }
  }
  yield Buffer.from(text, 'latin1');
}

export async function runSynthGenome(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'data synth-genome',
    argv,
    {
      out: { type: 'string' },
      seed: { type: 'string' },
      chromosomes: { type: 'string' },
      length: { type: 'string' },
      motifs: { type: 'string' },
      'sites-per-mb': { type: 'string' },
      window: { type: 'string' },
      bin: { type: 'string' },
      variants: { type: 'string' },
      json: { type: 'boolean' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
  );
  if (!values.out) throw new UserError("sweep data synth-genome: --out DIR is required. See 'sweep data --help'.");
  const d = SYNTH_GENOME_DEFAULTS;
  const seed = values.seed === undefined ? d.seed : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UserError(`--seed: expected a non-negative integer, got '${values.seed}'`);
  const motifs = values.motifs?.split(',').map((s) => {
    const n = Number(s.trim());
    if (s.trim() === '' || !Number.isInteger(n) || n < 0) throw new UserError(`--motifs: expected comma-separated motif indices like 250,11, got '${values.motifs}'`);
    return n;
  });
  const result = await writeSyntheticGenome(values.out, {
    seed,
    chromosomes: parsePositiveInt('chromosomes', values.chromosomes, d.chromosomes),
    length: parsePositiveInt('length', values.length, d.length),
    motifs: motifs ?? d.motifs,
    sitesPerMb: parsePositiveInt('sites-per-mb', values['sites-per-mb'], d.sitesPerMb),
    window: parsePositiveInt('window', values.window, d.window),
    bin: parsePositiveInt('bin', values.bin, d.bin),
    variants: parsePositiveInt('variants', values.variants, d.variants),
  });
  if (values.json) printJson({ out: values.out, ...result });
  else
    process.stdout.write(
      `wrote a synthetic genome to ${values.out}: ${result.sites} planted sites of tasks ${result.taskNames.join(', ')}, ` +
        `${result.variants.break} site-breaking and ${result.variants.neutral} neutral variants; train with: sweep start ${result.files.spec}\n`,
    );
  return 0;
}
