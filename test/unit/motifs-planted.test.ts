// A model trained on synthetic data with a planted JASPAR 2016 motif M has a first-layer filter
// whose best JASPAR 2024 match is what the 2024 set calls M (its closest 2024 motifs; for #24,
// by name: MA0040.2 Foxq1) (two different motifs); the MEME file that `sweep motifs` writes
// parses with an independent MEME minimal-format reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jasparMotifs } from '../../src/data/index.js';
import { compareToTargets, reverseComplement } from '../../src/motifs/compare.js';
import type { MotifAnalysis } from '../../src/motifs/index.js';
import { jaspar2024Motifs } from '../../src/motifs/jaspar.js';
import { runSweepCli } from '../support/cli.js';
import { trainAndExport } from './predict-helpers.js';

interface MemeMotif {
  name: string;
  width: number;
  nsites: number;
  rows: number[][];
}

/** A MEME minimal-format reader written from the format's description, independent of src/motifs/meme.ts. */
function parseMeme(text: string): { alphabet: string; strands: string; background: Record<string, number>; motifs: MemeMotif[] } {
  const lines = text.split('\n');
  assert.match(lines[0]!, /^MEME version 4(\.\d+)*$/, 'first line: MEME version');
  const field = (re: RegExp) => {
    const line = lines.find((l) => re.test(l));
    assert.ok(line, `header line ${re}`);
    return line.match(re)![1]!;
  };
  const alphabet = field(/^ALPHABET=\s*(\S+)$/);
  const strands = field(/^strands:\s*(.+)$/);
  const bgAt = lines.findIndex((l) => l.startsWith('Background letter frequencies'));
  assert.ok(bgAt > 0, 'background section');
  const bgTokens = lines[bgAt + 1]!.trim().split(/\s+/);
  const background = Object.fromEntries(Array.from({ length: bgTokens.length / 2 }, (_, i) => [bgTokens[2 * i]!, Number(bgTokens[2 * i + 1])]));
  const motifs: MemeMotif[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i]!.match(/^MOTIF\s+(\S+)/);
    if (!m) continue;
    const header = lines[i + 1]!.match(/^letter-probability matrix:\s*alength=\s*(\d+)\s+w=\s*(\d+)\s+nsites=\s*(\d+)\s+E=\s*(\S+)/);
    assert.ok(header, `${m[1]}: letter-probability matrix line`);
    assert.equal(Number(header[1]), 4, 'alength 4');
    const width = Number(header[2]);
    const rows = lines.slice(i + 2, i + 2 + width).map((l) => l.trim().split(/\s+/).map(Number));
    motifs.push({ name: m[1]!, width, nsites: Number(header[3]), rows });
  }
  return { alphabet, strands, background, motifs };
}

/** The 2024 motifs closest to a 2016 one, as `id name`, and the p-value of the closest. */
function closest2024(motif: number, n: number): { names: string[]; pValue: number } {
  const targets = jaspar2024Motifs();
  const matches = compareToTargets(
    jasparMotifs()[motif]!.pfm,
    targets.map((m) => m.pfm),
    { seed: 3 },
  );
  return { names: matches.slice(0, n).map((m) => `${targets[m.target]!.id} ${targets[m.target]!.name}`), pValue: matches[0]!.pValue };
}

test('the 2024 set names the planted motif #24: MA0040.2 Foxq1', () => {
  assert.equal(closest2024(24, 1).names[0], 'MA0040.2 Foxq1');
});

for (const motif of [250, 24]) {
  test(`planted JASPAR 2016 motif #${motif}: a filter's best JASPAR 2024 match is one of its closest 2024 motifs; the MEME file parses`, async () => {
    const model = await trainAndExport([motif], { variant: { seqLen: 100, convKernel: 12, epochs: 5 }, train: 2000, valid: 500 });
    assert.ok(model.bestValAuc > 0.85, `the model learned the motif (val AUC ${model.bestValAuc})`);
    const meme = path.join(path.dirname(model.dir), 'motifs.meme');
    const r = await runSweepCli(['motifs', '--model', model.dir, '--data', model.validTsv, '--out', meme, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const analysis = JSON.parse(r.stdout) as MotifAnalysis;
    assert.equal(analysis.sequences, 500);
    const { names: expected, pValue: counterpart } = closest2024(motif, 3);
    const named = (f: MotifAnalysis['filters'][number]) => (f.matches[0] ? `${f.matches[0].id} ${f.matches[0].name}` : undefined);
    const best = analysis.filters.filter((f) => expected.includes(named(f)!));
    console.log(
      `# #${motif} (${expected.join(', ')}): filters ${best.map((f) => `${f.filter} (${named(f)}, score ${f.matches[0]!.score.toFixed(2)}, p ${f.matches[0]!.pValue.toExponential(1)})`).join(', ')} match best`,
    );
    assert.ok(best.length >= 1, `some filter's best match is one of ${expected.join(', ')}; best matches: ${analysis.filters.map(named).join(', ')}`);
    // #250 has no close counterpart in the 2024 set (its closest, RARA, at p 0.002): a learned
    // copy of it cannot match more significantly than the motif itself does.
    if (counterpart < 0.001) {
      assert.ok(
        best.some((f) => f.matches[0]!.pValue < 0.001),
        'and significantly',
      );
    }

    const parsed = parseMeme(readFileSync(meme, 'utf8'));
    assert.equal(parsed.alphabet, 'ACGT');
    assert.equal(parsed.strands, '+ -');
    assert.deepEqual(parsed.background, { A: 0.25, C: 0.25, G: 0.25, T: 0.25 });
    const firing = analysis.filters.filter((f) => f.sites > 0);
    assert.deepEqual(
      parsed.motifs.map((m) => m.name),
      firing.map((f) => `filter${f.filter}`),
    );
    for (const [i, m] of parsed.motifs.entries()) {
      assert.equal(m.width, 12);
      assert.equal(m.nsites, firing[i]!.sites);
      assert.equal(m.rows.length, m.width, `${m.name}: w rows`);
      for (const row of m.rows) {
        assert.equal(row.length, 4);
        assert.ok(row.every((p) => p >= 0 && p <= 1));
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6, `${m.name}: a row sums to 1 (${row.join(' ')})`);
      }
    }
  });
}

test('the comparison finds a JASPAR motif in itself on either strand, and is deterministic', () => {
  const jaspar = jasparMotifs();
  const targets = jaspar.map((m) => m.pfm);
  for (const index of [11, 37]) {
    const forward = compareToTargets(jaspar[index]!.pfm, targets, { seed: 3 });
    assert.equal(forward[0]!.target, index);
    assert.equal(forward[0]!.strand, '+');
    assert.equal(forward[0]!.offset, 0);
    const reverse = compareToTargets(reverseComplement(jaspar[index]!.pfm), targets, { seed: 3 });
    assert.equal(reverse[0]!.target, index);
    assert.equal(reverse[0]!.strand, '-');
    assert.deepEqual(compareToTargets(jaspar[index]!.pfm, targets, { seed: 3 }), forward, 'same seed, same result');
  }
});
