import type { Client } from '@temporalio/client';
import { loadConfig, temporalConnectionOptions, type Config } from '../config/index.js';
import { openDb, type ResultsStore } from '../db/index.js';
import { openStack, type Stack } from '../stack/index.js';
import { connectOrExplain } from '../stack/net.js';

/** What a CLI command talks to: the stack (embedded or external), a Temporal client and the results DB. */
export interface Session {
  config: Config;
  stack: Stack;
  client: Client;
  db: ResultsStore;
  close(): Promise<void>;
}

export async function openSession(options: { log?: (line: string) => void; config?: Config; onStarted?: (server: string, ms: number) => void } = {}): Promise<Session> {
  const config = options.config ?? loadConfig();
  const stackOpening = openStack(config, { log: options.log, onStarted: options.onStarted });
  // Temporal's client SDK (a quarter of `sweep start`'s own module loading) loads while the servers start.
  const clientSdk = import('@temporalio/client');
  const stack = await stackOpening;
  try {
    const { Client, Connection } = await clientSdk;
    const connection = await connectOrExplain('the Temporal server', 'TEMPORAL_ADDRESS', stack.temporalAddress, () => Connection.connect(temporalConnectionOptions(config, stack.temporalAddress)));
    const db = await openDb(stack.databaseUrl);
    return {
      config,
      stack,
      client: new Client({ connection, namespace: stack.namespace }),
      db,
      async close() {
        await db.close();
        await connection.close();
        await stack.close();
      },
    };
  } catch (err) {
    await stack.close();
    throw err;
  }
}

export async function withSession<T>(fn: (session: Session) => Promise<T>, options?: Parameters<typeof openSession>[0]): Promise<T> {
  const session = await openSession(options);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
