import net from 'node:net';
import { UnreachableError } from '../errors.js';
import { pollUntil } from '../poll.js';

/** A TCP port the OS considers free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** "host:port" (as TEMPORAL_ADDRESS is checked to be) split for a socket: "[::1]:7233" -> { host: '::1', port: 7233 }. */
export function splitHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
}

/** Whether something accepts TCP connections on host:port. */
export function canConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls `isUp` until it holds; an Error naming `what` after `timeoutMs`. */
export function waitUntilUp(what: string, isUp: () => Promise<boolean>, timeoutMs: number): Promise<true> {
  return pollUntil(async () => (await isUp()) || undefined, { timeoutMs, timeoutError: () => new Error(`${what} did not come up within ${Math.round(timeoutMs / 1000)} s`) });
}

/**
 * Runs a connect call and turns a refused or unreachable server into a UserError naming the
 * setting to check, instead of a gRPC stack trace.
 */
export async function connectOrExplain<T>(what: string, setting: string, address: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (err) {
    throw new UnreachableError(`${setting}: cannot reach ${what} at ${address} (${(err as Error).message.split('\n')[0]}); check that it runs and that ${setting} is right`);
  }
}
