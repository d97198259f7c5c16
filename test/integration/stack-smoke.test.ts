// The foundation: a real Temporal dev server runs a workflow whose activity writes and reads a row in
// a real PostgreSQL (both started once per run by test/run.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import postgres from 'postgres';
import { loadConfig } from '../../src/config/index.js';

test('a workflow on the real Temporal server writes and reads a row in the real PostgreSQL', async () => {
  const config = loadConfig();
  assert.ok(config.temporalAddress && config.databaseUrl, 'test/run.ts sets TEMPORAL_ADDRESS and DATABASE_URL');
  const sql = postgres(config.databaseUrl, { onnotice: () => {} });
  const table = `smoke_${randomUUID().replace(/-/g, '')}`;
  await sql`create table ${sql(table)} (note text primary key)`;
  const taskQueue = `smoke-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../fixtures/workflows/hello.ts', import.meta.url)),
    activities: {
      async remember(note: string) {
        await sql`insert into ${sql(table)} (note) values (${note}) on conflict do nothing`;
        const [row] = await sql<{ note: string }[]>`select note from ${sql(table)} where note = ${note}`;
        return row!.note;
      },
    },
  });
  const client = new Client({ connection: await Connection.connect({ address: config.temporalAddress }) });
  try {
    const result = await worker.runUntil(client.workflow.execute('helloWorkflow', { taskQueue, workflowId: taskQueue, args: ['hello from danq-sweep'] }));
    assert.equal(result, 'workflow saw: hello from danq-sweep');
    const rows = await sql`select note from ${sql(table)}`;
    assert.deepEqual(
      rows.map((r) => r.note),
      ['hello from danq-sweep'],
    );
  } finally {
    await sql`drop table ${sql(table)}`;
    await sql.end();
    await client.connection.close();
    await connection.close();
  }
});
