// sweep variants against Keras: every T_ref and T_alt of the committed fixture (a tiny two-task
// model trained on both strands, a small genome, SNVs, a multi-allelic record, insertions and
// deletions, one variant too near a chromosome end) equals the exported model's prediction computed
// outside danq-sweep from model.json and weights.bin, on windows cut in Python from the FASTA, both
// strands averaged: once with the model loaded by the tensorflowjs converter (tf_keras), once with
// its layers rebuilt in Keras 3. Golden values: test/fixtures/variants/keras_golden.py (regenerate
// the fixture with make-fixture.ts, then that script, as its docstring says).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runSweepCli } from '../support/cli.js';

const fixtureDir = fileURLToPath(new URL('../fixtures/variants/', import.meta.url));
const fixture = (name: string) => fixtureDir + name;

interface Golden {
  tensorflow: string;
  loader: string;
  tasks: string[];
  rows: { chrom: string; pos: number; id: string; ref: string; alt: string; [score: string]: string | number | string[] }[];
}
const goldens = ['keras-golden.json', 'keras-golden-converter.json'].map((name) => JSON.parse(readFileSync(fixture(name), 'utf8')) as Golden);

const TOL = 1e-5;

test(`sweep variants scores equal the exported model's in Keras (${goldens.map((g) => `${g.loader}, TensorFlow ${g.tensorflow}`).join('; ')}) to ${TOL}`, async () => {
  const r = await runSweepCli(['variants', '--model', fixture('model'), '--vcf', fixture('calls.vcf'), '--genome', fixture('genome.fa')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /9 records, 11 alleles scored; skipped: 1 window past a chromosome end/);
  const [head, ...lines] = r.stdout.trimEnd().split('\n');
  const columns = head!.split('\t');
  const rows = lines.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [columns[i]!, v])));
  for (const golden of goldens) {
    assert.deepEqual(
      rows.map((x) => [x.chrom, Number(x.pos), x.id, x.ref, x.alt]),
      golden.rows.map((g) => [g.chrom, g.pos, g.id, g.ref, g.alt]),
      `${golden.loader}: the same alleles, in file order`,
    );
    assert.ok(golden.rows.some((g) => g.alt.length > g.ref.length) && golden.rows.some((g) => g.alt.length < g.ref.length), 'the fixture has insertions and deletions');
    for (const [i, g] of golden.rows.entries()) {
      for (const task of golden.tasks) {
        for (const column of [`${task}_ref`, `${task}_alt`]) {
          const ours = Number(rows[i]![column]);
          const keras = g[column] as number;
          assert.ok(Math.abs(ours - keras) <= TOL, `${g.id} ${g.ref}>${g.alt} ${column}: sweep variants ${ours}, ${golden.loader} ${keras}`);
        }
      }
    }
  }
});
