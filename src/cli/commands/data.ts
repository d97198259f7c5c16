import { renameSync } from 'node:fs';
import { UserError } from '../../errors.js';
import { DEFAULT_MOTIFS, checkSynthOptions, resolveSynthOptions, synthTaskNames, writeSyntheticTsv, type SynthOptions } from '../../data/synth.js';
import { parseCommandArgs, parsePositiveInt, printJson, type Command } from '../command.js';
import { genomeUsage, runSynthGenome, runWindows } from './data-genome.js';

const usage = `Usage: sweep data synth --out FILE.tsv [--motifs 250,11] [--samples N] [--seq-len L]
                        [--tasks K] [--seed S] [--negatives background|shuffled] [--json]

Writes a synthetic dataset built from real JASPAR CORE 2016 vertebrate motifs: a TSV with columns
id, sequence and one 0/1 column per task (motif<index>). A positive sequence carries an instance
sampled from its task's motif (random position and strand) in uniform random background; a
negative is plain background, or with --negatives shuffled carries a dinucleotide-shuffled
instance of the motif instead (same composition, motif destroyed: the harder control).
Each task is positive with probability 1/2, independently. The same options and seed give the
same file, byte for byte.

  --out FILE       the TSV to write
  --motifs LIST    comma-separated JASPAR motif indices (0-518), one per task
                   (default: the first K of ${DEFAULT_MOTIFS.join(', ')})
  --tasks K        number of tasks (default: number of --motifs, or 1)
  --samples N      number of sequences (default 4000)
  --seq-len L      sequence length in bp (default 200)
  --seed S         generator seed (default 1)
  --negatives      background (default) or shuffled
  --json           print {"out", "samples", "seqLen", "tasks": [names], "seed", "negatives"}

${genomeUsage}`;

const command: Command = {
  usage,
  async run(argv) {
    if (argv[0] === 'windows') return runWindows(argv.slice(1));
    if (argv[0] === 'synth-genome') return runSynthGenome(argv.slice(1));
    const { values, positionals } = parseCommandArgs(
      'data',
      argv,
      {
        out: { type: 'string' },
        motifs: { type: 'string' },
        tasks: { type: 'string' },
        samples: { type: 'string' },
        'seq-len': { type: 'string' },
        seed: { type: 'string' },
        negatives: { type: 'string' },
        json: { type: 'boolean' },
      },
      { min: 1, max: 1, names: 'a subcommand (synth, synth-genome or windows)' },
    );
    if (positionals[0] !== 'synth') throw new UserError(`sweep data: unknown subcommand '${positionals[0]}'; expected synth, synth-genome or windows. See 'sweep data --help'.`);
    if (!values.out) throw new UserError("sweep data synth: --out FILE.tsv is required. See 'sweep data --help'.");
    const opts = synthOptionsFromFlags(values);
    // Written beside the target and renamed, so an interrupted run leaves no half file under the name.
    const partial = `${values.out}.partial`;
    writeSyntheticTsv(partial, opts);
    renameSync(partial, values.out);
    const summary = { out: values.out, samples: opts.samples, seqLen: opts.seqLen, tasks: synthTaskNames(opts.motifs), seed: opts.seed, negatives: opts.negatives };
    if (values.json) printJson(summary);
    else process.stdout.write(`wrote ${opts.samples} sequences of ${opts.seqLen} bp, tasks ${summary.tasks.join(', ')}, to ${values.out}\n`);
    return 0;
  },
};

function synthOptionsFromFlags(values: { motifs?: string; tasks?: string; samples?: string; 'seq-len'?: string; seed?: string; negatives?: string }): SynthOptions {
  const motifs = values.motifs?.split(',').map((s) => {
    const n = Number(s.trim());
    if (s.trim() === '' || !Number.isInteger(n) || n < 0) throw new UserError(`--motifs: expected comma-separated motif indices like 250,11, got '${values.motifs}'`);
    return n;
  });
  const negatives = values.negatives;
  if (negatives !== undefined && negatives !== 'background' && negatives !== 'shuffled') {
    throw new UserError(`--negatives: expected background or shuffled, got '${negatives}'`);
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) throw new UserError(`--seed: expected a non-negative integer, got '${values.seed}'`);
  const opts = resolveSynthOptions({
    motifs,
    tasks: parsePositiveInt('tasks', values.tasks),
    samples: parsePositiveInt('samples', values.samples),
    seqLen: parsePositiveInt('seq-len', values['seq-len'], 200),
    seed,
    negatives,
  });
  checkSynthOptions(opts);
  return opts;
}

export default command;
