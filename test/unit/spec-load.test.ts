import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/errors.js';
import { loadSpec } from '../../src/sweep-spec/load.js';
import { validateSweep } from '../../src/sweep-spec/validate.js';
import { jsonSchemaPath, sweepSpecJsonSchema } from '../../src/sweep-spec/write-json-schema.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'spec-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeSpec(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function loadError(file: string): Promise<UserError> {
  const err = await loadSpec(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
  return err;
}

test('loadSpec returns the typed spec, its absolute path and its folder', async () => {
  const file = writeSpec(
    'ok.json',
    JSON.stringify({ name: 'ok', dataset: { train: 'data/train.tsv', valid: 'data/valid.tsv' }, strategy: { type: 'grid' }, training: { epochs: 2, batchSize: 8, seed: 1 } }),
  );
  const loaded = await loadSpec(path.relative(process.cwd(), file));
  assert.equal(loaded.path, file);
  assert.equal(loaded.baseDir, dir);
  assert.equal(loaded.spec.name, 'ok');
  assert.equal(loaded.spec.dataset.train, 'data/train.tsv');
});

test('a JSON syntax error names the file, line and column', async () => {
  const trailingComma = writeSpec('comma.json', '{\n  "name": "x",\n  "space": { "rnn": ["lstm"], },\n}\n');
  assert.equal((await loadError(trailingComma)).message, `${trailingComma}:3:31: invalid JSON: expected a property name in double quotes (JSON allows no trailing comma)`);
  const bareWord = writeSpec('word.json', '{\n  "name": sweep\n}');
  assert.equal((await loadError(bareWord)).message, `${bareWord}:2:11: invalid JSON: unexpected character`);
  const empty = writeSpec('empty.json', '');
  assert.equal((await loadError(empty)).message, `${empty}:1:1: invalid JSON: expected a value`);
});

test('a missing file is a UserError naming it', async () => {
  const missing = path.join(dir, 'nope.json');
  assert.equal((await loadError(missing)).message, `${missing}: cannot read the sweep spec (no such file)`);
});

test('schema problems name the file and list every problem', async () => {
  const file = writeSpec('bad.json', JSON.stringify({ name: 'bad', dataset: { format: 'synthetic' }, strategy: { type: 'grid' }, training: { seed: 1 } }));
  const err = await loadError(file);
  assert.deepEqual([...err.problems].sort(), ['training.batchSize: required (or search it in space.batchSize)', 'training.epochs: required']);
  assert.equal(err.message, `${file}: invalid sweep spec\n${err.problems.map((p) => `  - ${p}`).join('\n')}`);
});

test('every example is a valid sweep whose variants all pass the shape check', async () => {
  const examples = readdirSync(path.join(repo, 'examples')).filter((f) => f.endsWith('.json'));
  assert.ok(examples.includes('quickstart.json'));
  for (const example of examples) {
    const text = readFileSync(path.join(repo, 'examples', example), 'utf8');
    assert.equal(JSON.parse(text).$schema, '../schema/sweep-spec.schema.json', example);
    const { spec } = await loadSpec(path.join(repo, 'examples', example));
    const { trials, problems } = validateSweep(spec);
    assert.deepEqual(problems, [], example);
    assert.ok(trials.length > 0, example);
  }
});

test('the quickstart stays small: a few danq-lite trials of a few epochs on synthetic data, 2 at a time', async () => {
  const { spec } = await loadSpec(path.join(repo, 'examples', 'quickstart.json'));
  const { trials } = validateSweep(spec);
  assert.equal(spec.dataset.format, 'synthetic');
  assert.ok(trials.length <= 4 && spec.training.epochs <= 6 && spec.maxConcurrentTrials === 2);
  assert.ok(trials.every((t) => t.variant.seqLen === 200));
});

test('schema/sweep-spec.schema.json is the one generated from the zod schema (run src/sweep-spec/write-json-schema.ts)', () => {
  assert.equal(readFileSync(jsonSchemaPath, 'utf8'), sweepSpecJsonSchema());
});
