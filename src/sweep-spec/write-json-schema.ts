/**
 * Generates schema/sweep-spec.schema.json, the JSON Schema editors use for `"$schema"` in specs,
 * from the zod schema. Run after changing the spec schema (a test checks the file is current):
 *   node --import tsx src/sweep-spec/write-json-schema.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { sweepSpecSchema } from './schema.js';

export const jsonSchemaPath = fileURLToPath(new URL('../../schema/sweep-spec.schema.json', import.meta.url));

/** The file's exact text. Input side: fields with defaults are optional, as a user writes them. */
export function sweepSpecJsonSchema(): string {
  const schema = z.toJSONSchema(sweepSpecSchema, { io: 'input', target: 'draft-2020-12' });
  return JSON.stringify({ ...schema, title: 'danq-sweep sweep spec' }, null, 2) + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(jsonSchemaPath, sweepSpecJsonSchema());
  process.stdout.write(`wrote ${jsonSchemaPath}\n`);
}
