import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSweepCli } from '../support/cli.js';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateFiles } from '../../src/metrics/evaluate-files.js';
import { UserError } from '../../src/errors.js';

const fixtures = fileURLToPath(new URL('../fixtures/metrics/', import.meta.url));
const predictionsTsv = join(fixtures, 'cli-predictions.tsv');
const labelsTsv = join(fixtures, 'cli-labels.tsv');
/** scikit-learn's values for the two TSVs: see test/fixtures/metrics/generate.py. */
const expected = (
  JSON.parse(readFileSync(join(fixtures, 'sklearn-cases.json'), 'utf8')) as {
    cli: {
      tasks: { task: string; rocAuc: number | null; prAuc: number | null; positives: number; negatives: number }[];
      meanRocAuc: number;
      meanPrAuc: number;
    };
  }
).cli;
const dir = mkdtempSync(join(tmpdir(), 'metrics-cli-'));

const sweep = (...args: string[]) => runSweepCli(args);

let written = 0;
/** Writes a TSV from rows of cells and returns its path. */
function tsv(rows: (string | number)[][]): string {
  const path = join(dir, `f${written++}.tsv`);
  writeFileSync(path, rows.map((r) => r.join('\t')).join('\n') + '\n');
  return path;
}

const goodLabels = [
  ['id', 'A', 'B'],
  ['s1', 1, 0],
  ['s2', 0, 1],
  ['s3', 1, 1],
  ['s4', 0, 0],
];
const goodPreds = [
  ['id', 'A', 'B'],
  ['s1', 0.9, 0.2],
  ['s2', 0.1, 0.8],
  ['s3', 0.7, 0.6],
  ['s4', 0.3, 0.1],
];

async function rejectsWith(predictions: string, labels: string, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(evaluateFiles(predictions, labels), (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

test('sweep evaluate prints per-task and mean ROC AUC and PR AUC as a table, matching scikit-learn', async () => {
  const { code, stdout, stderr } = await sweep('evaluate', predictionsTsv, labelsTsv);
  assert.equal(code, 0, stderr);
  const lines = stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^task\s+ROC AUC\s+PR AUC\s+positives\s+negatives$/);
  // Rows in the labels file's task order, whatever the predictions' column order.
  for (const [i, t] of expected.tasks.entries()) {
    const cells = lines[i + 1]!.split(/\s+/);
    assert.equal(cells[0], t.task);
    if (t.rocAuc === null) {
      assert.deepEqual(cells.slice(1, 5), ['-', '-', String(t.positives), String(t.negatives)]);
      assert.match(lines[i + 1]!, /single class: skipped/);
    } else {
      assert.deepEqual(cells.slice(1, 5), [t.rocAuc.toFixed(4), t.prAuc!.toFixed(4), String(t.positives), String(t.negatives)]);
    }
  }
  const mean = lines[expected.tasks.length + 1]!;
  assert.match(mean, new RegExp(`^mean\\s+${expected.meanRocAuc.toFixed(4)}\\s+${expected.meanPrAuc.toFixed(4)}\\s+over 3 of 4 tasks$`));
});

test('sweep evaluate --json prints exactly tasks, meanRocAuc and meanPrAuc, agreeing with scikit-learn to 1e-9', async () => {
  const { code, stdout, stderr } = await sweep('evaluate', predictionsTsv, labelsTsv, '--json');
  assert.equal(code, 0, stderr);
  const out = JSON.parse(stdout) as typeof expected;
  assert.deepEqual(Object.keys(out), ['tasks', 'meanRocAuc', 'meanPrAuc']);
  assert.equal(out.tasks.length, expected.tasks.length);
  for (const [i, t] of out.tasks.entries()) {
    const e = expected.tasks[i]!;
    assert.deepEqual(Object.keys(t), ['task', 'rocAuc', 'prAuc', 'positives', 'negatives']);
    assert.equal(t.task, e.task);
    assert.equal(t.positives, e.positives);
    assert.equal(t.negatives, e.negatives);
    for (const key of ['rocAuc', 'prAuc'] as const) {
      if (e[key] === null) assert.equal(t[key], null, `${e.task} ${key}`);
      else assert.ok(Math.abs(t[key]! - e[key]) <= 1e-9, `${e.task} ${key}: ${t[key]} vs ${e[key]}`);
    }
  }
  assert.ok(Math.abs(out.meanRocAuc - expected.meanRocAuc) <= 1e-9, `meanRocAuc ${out.meanRocAuc}`);
  assert.ok(Math.abs(out.meanPrAuc - expected.meanPrAuc) <= 1e-9, `meanPrAuc ${out.meanPrAuc}`);
});

test('bad input exits 2 with the message only (no stack) on stderr and nothing on stdout', async () => {
  const bad = tsv([
    ['id', 'A', 'B'],
    ['s1', 0.9, 0.2],
    ['s2', 'abc', 0.8],
    ['s3', 0.7, 0.6],
    ['s4', 0.3, 0.1],
  ]);
  const { code, stdout, stderr } = await sweep('evaluate', bad, tsv(goodLabels));
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.equal(stderr, `error: ${bad} line 3, column 2 ('A'): expected a finite number, got 'abc'\n`);

  const missing = await sweep('evaluate', join(dir, 'nope.tsv'), labelsTsv, '--json');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error: .*nope\.tsv: file not found/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
});

test('usage errors exit 2: wrong number of files, unknown flag', async () => {
  const one = await sweep('evaluate', predictionsTsv);
  assert.equal(one.code, 2);
  assert.match(one.stderr, /expected PREDICTIONS\.tsv LABELS\.tsv/);
  const flag = await sweep('evaluate', predictionsTsv, labelsTsv, '--csv');
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--csv/);
  const help = await sweep('evaluate', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: sweep evaluate PREDICTIONS\.tsv LABELS\.tsv \[--json\]/);
});

test('evaluateFiles matches rows by id and columns by name, whatever their order', async () => {
  const preds = tsv([
    ['B', 'id', 'A'],
    ['0.1', 's4', '0.3'],
    ['0.8', 's2', '0.1'],
    ['0.2', 's1', '0.9'],
    ['0.6', 's3', '0.7'],
  ]);
  const r = await evaluateFiles(preds, tsv(goodLabels));
  assert.deepEqual(
    r.tasks.map((t) => [t.task, t.rocAuc, t.prAuc, t.positives, t.negatives]),
    [
      ['A', 1, 1, 2, 2],
      ['B', 1, 1, 2, 2],
    ],
  );
  assert.deepEqual([r.meanRocAuc, r.meanPrAuc], [1, 1]);
});

test('evaluateFiles accepts CRLF, a BOM, blank lines, exponents and 0.0/1.0 labels', async () => {
  const preds = join(dir, 'crlf.tsv');
  writeFileSync(preds, '\uFEFFid\tA\r\ns1\t9e-1\r\n\r\ns2\t-1E2\r\ns3\t.5\r\n');
  const labels = tsv([['id', 'A'], ['s1', '1.0'], ['s2', '0.0'], [], ['s3', '1']]);
  const r = await evaluateFiles(preds, labels);
  assert.deepEqual(r.tasks, [{ task: 'A', rocAuc: 1, prAuc: 1, positives: 2, negatives: 1 }]);
});

test('task columns that differ between the files are an error naming them', async () => {
  const preds = tsv([
    ['id', 'A', 'C', 'D'],
    ['s1', 1, 1, 1],
  ]);
  await rejectsWith(preds, tsv(goodLabels), /task columns differ/, /only in .*: C, D/, /only in .*: B/);
});

test('missing and extra ids are an error naming the first few and counting the rest', async () => {
  const labels = tsv([['id', 'A'], ...Array.from({ length: 12 }, (_, i) => [`s${i}`, i % 2])]);
  const preds = tsv([
    ['id', 'A'],
    ['s0', 0.5],
    ['s1', 0.5],
    ['s2', 0.5],
    ['s3', 0.5],
    ['x1', 0.5],
    ['x2', 0.5],
  ]);
  await rejectsWith(preds, labels, /ids differ between/, /8 ids in .* with no prediction in .*: 's4', 's5', 's6', 's7', 's8' and 3 more/, /2 ids in .* with no labels in .*: 'x1', 'x2'$/m);
  const onlyExtra = tsv([...goodPreds, ['s9', 0.1, 0.1]]);
  await rejectsWith(onlyExtra, tsv(goodLabels), /1 id in .* with no labels in .*: 's9'/);
});

test('non-numeric and non-finite predictions name the file, line and column', async () => {
  const labels = tsv(goodLabels);
  for (const value of ['abc', '', 'NaN', 'nan', 'Infinity', 'inf', '1e999', '0x10', '1,5', '- 1']) {
    const preds = tsv([
      ['id', 'A', 'B'],
      ['s1', 0.9, 0.2],
      ['s2', 0.1, 0.8],
      ['s3', 0.7, value],
      ['s4', 0.3, 0.1],
    ]);
    await rejectsWith(
      preds,
      labels,
      new RegExp(`^${preds.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 4, column 3 \\('B'\\): expected a finite number, got '${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'$`),
    );
  }
});

test('labels other than 0 and 1 are an error with file, line and column', async () => {
  const labels = tsv([
    ['id', 'A', 'B'],
    ['s1', 1, 0],
    ['s2', 0, 2],
    ['s3', 1, 1],
    ['s4', 0, 0],
  ]);
  await rejectsWith(tsv(goodPreds), labels, /line 3, column 3 \('B'\): labels must be 0 or 1, got '2'/);
  const soft = tsv([
    ['id', 'A', 'B'],
    ['s1', 1, 0],
    ['s2', 0, 1],
    ['s3', 0.5, 1],
    ['s4', 0, 0],
  ]);
  await rejectsWith(tsv(goodPreds), soft, /line 4, column 2 \('A'\): labels must be 0 or 1, got '0.5'/);
  const text = tsv([
    ['id', 'A', 'B'],
    ['s1', 'yes', 0],
  ]);
  await rejectsWith(tsv(goodPreds), text, /line 2, column 2 \('A'\): expected a finite number, got 'yes'/);
});

test('malformed files: header, field counts, ids, empty files, unreadable paths', async () => {
  const labels = tsv(goodLabels);
  await rejectsWith(
    tsv([
      ['name', 'A', 'B'],
      ['s1', 1, 1],
    ]),
    labels,
    /line 1: no 'id' column in the header \(columns: name, A, B\)/,
  );
  await rejectsWith(
    tsv([
      ['id', 'A', 'A'],
      ['s1', 1, 1],
    ]),
    labels,
    /line 1: duplicate column 'A'/,
  );
  await rejectsWith(tsv([['id'], ['s1']]), labels, /line 1: no task columns besides 'id'/);
  await rejectsWith(
    tsv([
      ['id', 'A', ''],
      ['s1', 1, 1],
    ]),
    labels,
    /line 1: column 3 has an empty name/,
  );
  await rejectsWith(
    tsv([
      ['id', 'A', 'B'],
      ['s1', 0.9, 0.2],
      ['s2', 0.1],
    ]),
    labels,
    /line 3: the row has 2 tab-separated columns but the header has 3 \(id, A, B\)/,
  );
  await rejectsWith(tsv([...goodPreds, ['s1', 0.5, 0.5]]), labels, /line 6: id 's1' already on line 2/);
  await rejectsWith(tsv(goodPreds), tsv([...goodLabels, ['s2', 1, 1]]), /line 6: id 's2' already on line 3/);
  await rejectsWith(
    tsv([
      ['id', 'A', 'B'],
      ['', 0.5, 0.5],
    ]),
    labels,
    /line 2: empty id/,
  );
  const empty = join(dir, 'empty.tsv');
  writeFileSync(empty, '');
  await rejectsWith(empty, labels, /empty\.tsv: the file is empty/);
  await rejectsWith(tsv(goodPreds), empty, /empty\.tsv: the file is empty/);
  await rejectsWith(tsv(goodPreds), tsv([['id', 'A', 'B']]), /has a header but no data rows/);
  const aDir = join(dir, 'a-directory');
  mkdirSync(aDir);
  await rejectsWith(aDir, labels, /a-directory: is a folder, expected a data file/);
  await rejectsWith(tsv(goodPreds), join(dir, 'missing.tsv'), /missing\.tsv: file not found/);
});
