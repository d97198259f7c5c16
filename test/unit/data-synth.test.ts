import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import dataCommand from '../../src/cli/commands/data.js';
import { UserError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import { DEFAULT_MOTIFS, informationContent, jasparMotifs, prepareDataset, resolveSynthOptions, synthesize, type SynthOptions } from '../../src/data/index.js';
import { dinucleotideShuffle } from '../../src/data/synth.js';
import { tempDir } from './data-helpers.js';

const CODE: Record<string, number> = { A: 0, C: 1, G: 2, T: 3 };

/** Best log-odds match of the motif's PWM on either strand: what a perfect motif scanner sees. */
function motifScore(seq: string, motifIndex: number): number {
  const pfm = jasparMotifs()[motifIndex]!.pfm;
  const m = pfm.length;
  const logOdds = pfm.map((row) => row.map((p) => Math.log((p + 0.01) / 1.04 / 0.25)));
  let best = -Infinity;
  for (let s = 0; s + m <= seq.length; s++) {
    let fwd = 0;
    let rev = 0;
    for (let p = 0; p < m; p++) {
      fwd += logOdds[p]![CODE[seq[s + p]!]!]!;
      rev += logOdds[m - 1 - p]![3 - CODE[seq[s + p]!]!]!;
    }
    best = Math.max(best, fwd, rev);
  }
  return best;
}

/** ROC AUC by pair counting (ties count one half). */
function auc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((sp, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((sn, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += sp > sn ? 1 : sp === sn ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

const base: SynthOptions = { motifs: [250], samples: 300, seqLen: 200, seed: 5, negatives: 'background' };

test('synthesize is deterministic by seed, with ids, 0/1 labels and only A, C, G, T', () => {
  const a = [...synthesize(base)];
  assert.deepEqual([...synthesize(base)], a);
  assert.notDeepEqual([...synthesize({ ...base, seed: 6 })], a);
  assert.equal(a.length, 300);
  assert.equal(a[0]!.id, 'synth001');
  for (const r of a) {
    assert.match(r.sequence, /^[ACGT]{200}$/);
    assert.ok(r.labels[0] === 0 || r.labels[0] === 1);
  }
  const positives = a.filter((r) => r.labels[0] === 1).length;
  assert.ok(positives > 110 && positives < 190, `${positives} positives of 300`);
});

test('positives carry the motif: a PWM scanner separates them; shuffled negatives are harder but not hopeless', () => {
  const background = [...synthesize(base)];
  const shuffled = [...synthesize({ ...base, negatives: 'shuffled' })];
  const oracle = (records: typeof background) =>
    auc(
      records.map((r) => motifScore(r.sequence, 250)),
      records.map((r) => r.labels[0]!),
    );
  const easy = oracle(background);
  const hard = oracle(shuffled);
  assert.ok(easy > 0.95, `background negatives: oracle AUC ${easy}`);
  assert.ok(hard < easy - 0.05 && hard > 0.6, `shuffled negatives: oracle AUC ${hard} vs ${easy}`);
});

test('multi-task: each task is its own motif, labels independent', () => {
  const records = [...synthesize({ ...base, motifs: [250, 11], samples: 300 })];
  for (const [t, motif] of [250, 11].entries()) {
    const a = auc(
      records.map((r) => motifScore(r.sequence, motif)),
      records.map((r) => r.labels[t]!),
    );
    assert.ok(a > 0.9, `task ${t} (motif ${motif}): oracle AUC ${a}`);
  }
  const both = records.filter((r) => r.labels[0] === 1 && r.labels[1] === 1).length;
  assert.ok(both > 40 && both < 110, `${both} of 300 positive for both tasks`);
});

test('dinucleotide shuffle keeps the first and last base and every dinucleotide count', () => {
  const rng = new Rng(9);
  const counts = (s: Uint8Array) => {
    const c = new Array(16).fill(0);
    for (let i = 0; i + 1 < s.length; i++) c[s[i]! * 4 + s[i + 1]!]++;
    return c;
  };
  let changed = 0;
  for (let trial = 0; trial < 200; trial++) {
    const seq = Uint8Array.from({ length: 5 + (trial % 17) }, () => rng.int(0, 3));
    const out = dinucleotideShuffle(seq, rng);
    assert.deepEqual(counts(out), counts(seq));
    assert.equal(out[0], seq[0]);
    assert.equal(out[out.length - 1], seq[seq.length - 1]);
    if (out.some((b, i) => b !== seq[i])) changed++;
  }
  assert.ok(changed > 100, `${changed} of 200 shuffles changed the sequence`);
});

test('default motifs: about 14 bits each, motif indices and lengths checked', () => {
  for (const m of DEFAULT_MOTIFS) {
    const bits = informationContent(jasparMotifs()[m]!.pfm);
    assert.ok(bits > 13 && bits < 16, `motif ${m}: ${bits} bits`);
  }
  assert.equal(
    informationContent([
      [0.25, 0.25, 0.25, 0.25],
      [1, 0, 0, 0],
    ]),
    2,
  );
  assert.deepEqual(resolveSynthOptions({ seqLen: 100, tasks: 2 }).motifs, [250, 11]);
  assert.throws(() => [...synthesize({ ...base, motifs: [519] })], /motifs: 519 is not a JASPAR motif index; expected 0 to 518/);
  assert.throws(() => [...synthesize({ ...base, seqLen: 20 })], /seqLen 20 is too short for motifs 250/);
  assert.throws(() => resolveSynthOptions({ seqLen: 100, tasks: 2, motifs: [1] }), /tasks 2 does not match the 1 motifs/);
});

test('sweep data synth writes the same TSV for the same options, and names bad flags', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'synth.tsv');
  const args = ['synth', '--out', out, '--samples', '20', '--seq-len', '60', '--tasks', '2', '--seed', '3', '--negatives', 'shuffled', '--json'];
  const stdout = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  try {
    assert.equal(await dataCommand.run(args), 0);
    const first = readFileSync(out, 'utf8');
    assert.equal(await dataCommand.run(args), 0);
    assert.equal(readFileSync(out, 'utf8'), first);
    const lines = first.trimEnd().split('\n');
    assert.equal(lines[0], 'id\tsequence\tmotif250\tmotif11');
    assert.equal(lines.length, 21);
    assert.match(lines[1]!, /^synth01\t[ACGT]{60}\t[01]\t[01]$/);
  } finally {
    process.stdout.write = stdout;
  }
  await assert.rejects(dataCommand.run(['synth', '--out', out, '--motifs', '12,x']), (e: unknown) => e instanceof UserError && /--motifs: expected comma-separated/.test(e.message));
  await assert.rejects(dataCommand.run(['synth']), /--out FILE\.tsv is required/);
  await assert.rejects(dataCommand.run(['make', '--out', out]), /unknown subcommand 'make'/);
});

test('a synthetic dataset spec is generated once into the cache and split by validFraction (default 0.2)', async () => {
  const dir = tempDir();
  const opts = { seqLen: 100, baseDir: dir, cacheDir: path.join(dir, 'cache') };
  const m = await prepareDataset({ format: 'synthetic', samples: 200, seed: 2 }, opts);
  assert.deepEqual(m.taskNames, ['motif250']);
  assert.deepEqual([m.splits.train.count, m.splits.valid.count], [160, 40]);
  assert.equal((await prepareDataset({ format: 'synthetic', samples: 200, seed: 2 }, opts)).fingerprint, m.fingerprint);
  assert.notEqual((await prepareDataset({ format: 'synthetic', samples: 200, seed: 3 }, opts)).fingerprint, m.fingerprint);
  await assert.rejects(prepareDataset({ format: 'synthetic', train: 'x.tsv' }, opts), /dataset\.train: a synthetic dataset is generated, so it takes no 'train' file/);
});
