import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSweepCli } from '../support/cli.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'model-cli-'));

const sweep = (...args: string[]) => runSweepCli(args);

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

test('model summary --preset danq --json gives the published parameter count and every layer', async () => {
  const { code, stdout } = await sweep('model', 'summary', '--preset', 'danq', '--json');
  assert.equal(code, 0);
  const summary = JSON.parse(stdout) as { params: number; layers: Record<string, unknown>[] };
  assert.deepEqual(Object.keys(summary), ['params', 'layers']);
  assert.equal(summary.params, 46_926_479);
  assert.equal(summary.layers.length, 8);
  assert.deepEqual(summary.layers[3], { name: 'bidirectional', type: 'Bidirectional(LSTM)', outputShape: [null, 75, 640], params: 1_640_960 });
});

test('model summary prints a Keras-like table with the total', async () => {
  const { code, stdout } = await sweep('model', 'summary', '--preset', 'danq-lite');
  assert.equal(code, 0);
  assert.match(stdout, /^Input: \(None, 200, 4\) one-hot DNA$/m);
  assert.match(stdout, /^conv1d \(Conv1D\)\s+\(None, 182, 64\)\s+4,928$/m);
  assert.match(stdout, /^bidirectional \(Bidirectional\(LSTM\)\)\s+\(None, 18, 64\)\s+24,832$/m);
  assert.match(stdout, /^Total params: 103,617$/m);
});

test('model summary SPEC.json resolves the spec model object over its preset', async () => {
  const spec = writeJson('spec.json', { name: 'x', model: { preset: 'danq', rnn: 'gru', poolSize: 25 } });
  const { code, stdout } = await sweep('model', 'summary', spec, '--json');
  assert.equal(code, 0);
  const summary = JSON.parse(stdout) as { layers: { type: string; outputShape: number[] }[] };
  assert.equal(summary.layers[3]!.type, 'Bidirectional(GRU)');
  assert.deepEqual(summary.layers[1]!.outputShape, [null, 39, 320]); // floor((975 - 25) / 25) + 1
});

test('model summary of a bare variant file defaults to danq-lite', async () => {
  const { code, stdout } = await sweep('model', 'summary', writeJson('bare.json', { denseUnits: 0 }), '--json');
  assert.equal(code, 0);
  assert.equal((JSON.parse(stdout) as { layers: unknown[] }).layers.length, 7);
});

test('an invalid variant exits 2 listing every problem, each naming its parameter', async () => {
  const spec = writeJson('bad.json', { model: { seqLen: 50, convKernel: 21, poolSize: 40, outputActivation: 'softmax', convFilters: 2.5 } });
  const { code, stdout, stderr } = await sweep('model', 'summary', spec);
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.equal(
    stderr,
    [
      `error: ${spec}: invalid model variant`,
      '  - convFilters must be a positive integer, got 2.5',
      '  - poolSize 40 exceeds the conv output length 30 (seqLen 50 - convKernel 21 + 1): pooling would leave no steps for the RNN',
      '  - outputActivation softmax needs tasks >= 2 (one output per class), got tasks 1: use sigmoid for a single binary task',
      '',
    ].join('\n'),
  );
});

test('unknown fields and presets in the file are named with their JSON path', async () => {
  const spec = writeJson('typo.json', { model: { preset: 'deepsea', convFilter: 64 } });
  const { code, stderr } = await sweep('model', 'summary', spec);
  assert.equal(code, 2);
  assert.match(stderr, /^ {2}- model\.convFilter: unknown field \(did you mean convFilters\?\)$/m);
  assert.match(stderr, /^ {2}- model\.preset: must be 'danq' or 'danq-lite', got "deepsea"$/m);
});

test('usage errors exit 2 with a message that says what was expected', async () => {
  const cases: [string[], RegExp][] = [
    [['model', 'summary'], /give either --preset NAME or SPEC\.json, not neither/],
    [['model', 'summary', '--preset', 'danq', 'spec.json'], /give either --preset NAME or SPEC\.json, not both/],
    [['model', 'summary', '--preset', 'deepsea'], /--preset: unknown preset 'deepsea', expected one of danq, danq-lite/],
    [['model', 'summary', join(dir, 'missing.json')], /missing\.json: cannot read the file \(no such file\)/],
    [['model', 'show'], /sweep model: expected the subcommand 'summary', got 'show'/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await sweep(...args);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, message);
  }
});
