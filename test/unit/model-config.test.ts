import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { modelSpecSchema, partialVariantSchema, presetNames } from '../../src/model/config.js';
import { presetByName, presets, resolveVariant } from '../../src/model/presets.js';
import { inspectVariant } from '../../src/model/shapes.js';
import { UserError } from '../../src/errors.js';

test('resolveVariant without a preset starts from danq-lite, poolStride following poolSize', () => {
  const v = resolveVariant(undefined, {});
  assert.deepEqual(v, { ...presets['danq-lite'], poolStride: 10 });
});

test('resolveVariant: overrides win, poolStride defaults to the resolved poolSize, undefined is ignored', () => {
  assert.equal(resolveVariant('danq', { poolSize: 5 }).poolStride, 5);
  assert.equal(resolveVariant('danq', { poolSize: 5, poolStride: 3 }).poolStride, 3);
  const v = resolveVariant('danq', { rnn: 'gru', convFilters: undefined });
  assert.equal(v.rnn, 'gru');
  assert.equal(v.convFilters, 320);
});

test('every preset is a valid variant', () => {
  for (const name of presetNames) assert.equal(inspectVariant(resolveVariant(name, {})).ok, true, name);
});

test('presetByName names the parameter and the choices', () => {
  assert.equal(presetByName('--preset', 'danq'), 'danq');
  assert.throws(
    () => presetByName('--preset', 'deepsea'),
    (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.equal(err.message, "--preset: unknown preset 'deepsea', expected one of danq, danq-lite");
      return true;
    },
  );
});

test('partialVariantSchema accepts any subset of fields', () => {
  assert.deepEqual(partialVariantSchema.parse({}), {});
  assert.deepEqual(partialVariantSchema.parse({ convFilters: 32, rnn: 'gru' }), { convFilters: 32, rnn: 'gru' });
});

test('partialVariantSchema rejects bad values and unknown fields with messages that say what was expected', () => {
  const messages = (input: unknown) => {
    const result = partialVariantSchema.safeParse(input);
    assert.equal(result.success, false);
    return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };
  assert.deepEqual(messages({ convFilters: 2.5 }), ['convFilters: must be a positive integer, got 2.5']);
  assert.deepEqual(messages({ convDropout: 1 }), ['convDropout: must be a number in [0, 1), got 1']);
  assert.deepEqual(messages({ learningRate: 0 }), ['learningRate: must be a positive number, got 0']);
  assert.deepEqual(messages({ rnn: 'LSTM' }), [`rnn: must be 'lstm' or 'gru', got "LSTM"`]);
  assert.deepEqual(messages({ denseUnits: -1 }), ['denseUnits: must be a non-negative integer, got -1']);
  assert.match(messages({ convFilter: 64 })[0]!, /^: unknown field 'convFilter'; variant fields are seqLen, tasks, convFilters,/);
});

test('modelSpecSchema adds an optional preset and publishes as JSON Schema', () => {
  assert.deepEqual(modelSpecSchema.parse({ preset: 'danq', tasks: 2 }), { preset: 'danq', tasks: 2 });
  assert.equal(modelSpecSchema.safeParse({ preset: 'deepsea' }).error!.issues[0]!.message, `must be 'danq' or 'danq-lite', got "deepsea"`);
  const schema = z.toJSONSchema(modelSpecSchema) as { properties: Record<string, { type?: string; exclusiveMinimum?: number }> };
  assert.equal(schema.properties.convFilters!.type, 'integer');
  assert.equal(schema.properties.convFilters!.exclusiveMinimum, 0);
});
