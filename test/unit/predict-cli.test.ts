// sweep predict through the real CLI on an exported model: every input format gives the same
// predictions; bad input (not a model folder, a sequence of the wrong length) exits 2 with the
// thing named and leaves no output behind, with --out and with standard output sent to a file.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { synthesize } from '../../src/data/index.js';
import { formatFloat32 } from '../../src/predict/predict.js';
import { nativeAddonStatus } from '../../src/train/backend.js';
import { runSweepCli, sweepBin } from '../support/cli.js';
import { nativeSkip } from '../support/native.js';
import { trainAndExport, type TrainedModel } from './predict-helpers.js';

let model: TrainedModel;
let work: string;
before(async () => {
  model = await trainAndExport([250, 24], { variant: { epochs: 1 }, train: 300, valid: 150 });
  work = path.dirname(model.dir);
});

function fasta(records: { id: string; sequence: string }[], file: string): string {
  // Sequences wrapped at 23 bases: records span lines, as real FASTA does.
  writeFileSync(file, records.map((r) => `>${r.id} some description\n${r.sequence.match(/.{1,23}/g)!.join('\n')}\n`).join(''));
  return file;
}

test('TSV, CSV, gzip-less FASTA and a TSV without ids give the same predictions; columns are the task names', async () => {
  const tsv = await runSweepCli(['predict', '--model', model.dir, model.validTsv]);
  assert.equal(tsv.code, 0, tsv.stderr);
  const lines = tsv.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'id\tmotif250\tmotif24');
  assert.equal(lines.length, 151);
  for (const line of lines.slice(1)) {
    const [, ...p] = line.split('\t');
    assert.ok(
      p.every((v) => Number(v) > 0 && Number(v) < 1),
      `probabilities: ${line}`,
    );
  }
  const records = [...synthesize(model.synth(150, 2))];
  const fa = await runSweepCli(['predict', '--model', model.dir, fasta(records, path.join(work, 'valid.fa'))]);
  assert.equal(fa.code, 0, fa.stderr);
  assert.equal(fa.stdout, tsv.stdout);
  const csv = path.join(work, 'valid.csv');
  writeFileSync(csv, 'sequence,id\n' + records.map((r) => `${r.sequence},${r.id}`).join('\n') + '\n');
  const c = await runSweepCli(['predict', '--model', model.dir, csv, '--batch', '7']);
  assert.equal(c.code, 0, c.stderr);
  const close = (a: string, b: string) => {
    const [ha, ...ra] = a.trimEnd().split('\n');
    const [hb, ...rb] = b.trimEnd().split('\n');
    return (
      ha === hb &&
      ra.length === rb.length &&
      ra.every((line, i) => line.split('\t').every((v, j) => (j === 0 ? v === rb[i]!.split('\t')[0] : Math.abs(Number(v) - Number(rb[i]!.split('\t')[j])) < 1e-5)))
    );
  };
  assert.ok(close(c.stdout, tsv.stdout), 'another batch size: the same predictions (to float rounding)');
  const noIds = path.join(work, 'noids.tsv');
  writeFileSync(
    noIds,
    'sequence\n' +
      records
        .slice(0, 3)
        .map((r) => r.sequence)
        .join('\n') +
      '\n',
  );
  const n = await runSweepCli(['predict', '--model', model.dir, noIds]);
  assert.deepEqual(
    n.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t')[0]),
    ['id', '1', '2', '3'],
  );
});

test(
  'on tfjs-node, TensorFlow start-up lines (absl, oneDNN, cpu_feature_guard) stay out of standard error',
  { skip: nativeSkip(nativeAddonStatus('tfjs-node').state === 'built' ? undefined : 'tfjs-node is not built here') },
  async () => {
    const env = { ...process.env };
    delete env.TF_CPP_MIN_LOG_LEVEL;
    const result = await runSweepCli(['predict', '--model', model.dir, '--backend', 'tfjs-node', model.validTsv], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trimEnd().split('\n').length, 151);
    assert.doesNotMatch(result.stderr, /absl::InitializeLog|oneDNN|cpu_feature_guard|^[IW]\d{4} /m);
  },
);

test('rc-average: the mean of both strands, which a reverse-complemented input gives too', async () => {
  const records = [...synthesize(model.synth(20, 5))];
  const complement: Record<string, string> = { A: 'T', C: 'G', G: 'C', T: 'A' };
  const rc = records.map((r) => ({
    id: r.id,
    sequence: r.sequence
      .split('')
      .reverse()
      .map((b) => complement[b])
      .join(''),
  }));
  const a = await runSweepCli(['predict', '--model', model.dir, '--rc-average', fasta(records, path.join(work, 'f.fa'))]);
  const b = await runSweepCli(['predict', '--model', model.dir, '--rc-average', fasta(rc, path.join(work, 'r.fa'))]);
  assert.equal(a.code, 0, a.stderr);
  const rows = (s: string) =>
    s
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t').slice(1).map(Number));
  rows(a.stdout).forEach((row, i) => row.forEach((p, t) => assert.ok(Math.abs(p - rows(b.stdout)[i]![t]!) < 1e-6)));
});

test('a folder that is not a model: exit 2, the folder named, no output file', async () => {
  const empty = path.join(work, 'not-a-model');
  mkdirSync(empty, { recursive: true });
  const out = path.join(work, 'never.tsv');
  const r = await runSweepCli(['predict', '--model', empty, model.validTsv, '--out', out]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--model .*not-a-model: not a danq-sweep model folder \(no model\.json\)/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(existsSync(out), false);
  writeFileSync(path.join(empty, 'model.json'), '{"modelTopology": {}, "weightsManifest": []}');
  const r2 = await runSweepCli(['predict', '--model', empty, model.validTsv]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /has no danq-sweep variant/);
});

test('a FASTA record of the wrong length after many good ones: exit 2, the record named, nothing written (--out, and stdout to a file)', async () => {
  const records = [...synthesize(model.synth(100, 9))];
  records.push({ id: 'short-one', sequence: 'ACGT'.repeat(10), labels: [] });
  const bad = fasta(records, path.join(work, 'bad.fa'));
  const out = path.join(work, 'partial.tsv');
  const r = await runSweepCli(['predict', '--model', model.dir, bad, '--out', out]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.fa record 101 \('short-one', line \d+\): the sequence is 40 bases long, but seqLen is 50/);
  assert.equal(existsSync(out), false, 'no partial --out file');
  assert.deepEqual(
    readdirSync(work).filter((f) => f.includes('.tmp-')),
    [],
    'no temporary file left',
  );

  const redirected = path.join(work, 'redirected.tsv');
  const fd = openSync(redirected, 'w');
  try {
    const s = spawnSync(process.execPath, [sweepBin, 'predict', '--model', model.dir, bad, '--batch', '16'], { stdio: ['ignore', fd, 'pipe'] });
    assert.equal(s.status, 2, String(s.stderr));
  } finally {
    closeSync(fd);
  }
  assert.equal(readFileSync(redirected, 'utf8'), '', '`> file` is truncated back: no partial rows');
});

test('formatFloat32: the shortest text that reads back as the same float32', () => {
  for (const v of [0.5, 0.1, 1 / 3, 0.999999, 1e-7, 0.123456789, 2 ** -20]) {
    const f = Math.fround(v);
    const text = formatFloat32(f);
    assert.equal(Math.fround(Number(text)), f, `${f} -> ${text}`);
    assert.ok(text.replace(/^0\.|e.*$/g, '').replace(/^0+/, '').length <= 9);
  }
  assert.equal(formatFloat32(Math.fround(0.1)), '0.1');
  assert.equal(formatFloat32(0.5), '0.5');
});
