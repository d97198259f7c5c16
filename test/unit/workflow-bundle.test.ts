// Workflow code is a contract with every running sweep: the bundle must hold only
// @temporalio/workflow and small pure modules, never the spec schema (zod), the model presets
// (src/model) or the planner, whose changes would otherwise change what running sweeps replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workflowBundle } from '../../workers/index.js';
import { searchAttributeTypes } from '../../workflows/search-attributes.js';

test('the workflow bundle contains no zod, no src/model, no planner and no schema', async () => {
  const { code } = await workflowBundle();
  // webpack keys each module by its path ("./src/rng.ts", "./node_modules/..."); also look for zod's own identifiers.
  const modules = [...new Set([...code.matchAll(/"\.\/((?:src|workflows|node_modules)\/[^"]+)"/g)].map((m) => m[1]!))];
  assert.ok(
    modules.some((m) => m.startsWith('workflows/sweep')),
    `the bundle lists its modules (found ${modules.length})`,
  );
  for (const forbidden of ['node_modules/zod', 'src/model/', 'src/sweep-spec/', 'src/data/', 'src/db/postgres']) {
    assert.deepEqual(
      modules.filter((m) => m.includes(forbidden)),
      [],
      `${forbidden} is in the workflow bundle`,
    );
  }
  assert.doesNotMatch(code, /ZodError|\$ZodType/, 'zod code in the workflow bundle');
  const src = modules.filter((m) => m.startsWith('src/')).sort();
  // Only pure strategy code, the shared vocabulary (src/domain) and the seeded generator it draws from.
  assert.deepEqual(
    src.filter((m) => !m.startsWith('src/strategy/') && !m.startsWith('src/domain/') && m !== 'src/rng.ts'),
    [],
  );
  console.log(`# workflow bundle: ${code.length} bytes; src modules: ${src.join(', ')}`);
});

test('infra/temporal/search-attributes.sh registers exactly the attributes the workflows use', () => {
  const script = readFileSync(fileURLToPath(new URL('../../infra/temporal/search-attributes.sh', import.meta.url)), 'utf8');
  const listed = /for attr in ([^;]+);/.exec(script)?.[1]?.trim().split(/\s+/) ?? [];
  assert.deepEqual(
    listed.sort(),
    Object.entries(searchAttributeTypes)
      .map(([name, type]) => `${name}:${type}`)
      .sort(),
  );
});
