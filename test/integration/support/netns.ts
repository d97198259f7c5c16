/**
 * Test "hosts": Linux network namespaces, each joined to this machine by a veth pair in a private
 * /30 that exists only between the namespace and this host, and TCP forwarders on the host side
 * of each pair, so a process inside reaches chosen local services (and nothing else: a namespace
 * has no route beyond its /30). Needs root (CAP_NET_ADMIN); `netnsUnavailable()` says why not.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import net from 'node:net';

export interface TestHost {
  name: string;
  /** This machine's address as the namespace sees it. */
  hostAddress: string;
  /** The namespace's own address. */
  address: string;
  /** argv prefix that runs a command inside the namespace. */
  exec: string[];
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Why namespaces cannot be created here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: network namespaces need CAP_NET_ADMIN';
  const probe = `dqprobe${randomBytes(3).toString('hex')}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return undefined;
  } catch (err) {
    return `ip netns add failed: ${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}`;
  }
}

/** Namespaces created by this process, deleted by removeHosts (also at exit, if a test failed). */
const created = new Set<string>();
process.once('exit', () => removeHosts());

/** `count` namespaces in 10.213.N.0/24 (N random), one /30 each: host .4i+1, namespace .4i+2. */
export function createHosts(count: number): TestHost[] {
  const tag = randomBytes(2).toString('hex');
  const octet = randomInt(1, 255);
  const hosts: TestHost[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `dq${tag}h${i}`;
      const hostAddress = `10.213.${octet}.${4 * i + 1}`;
      const address = `10.213.${octet}.${4 * i + 2}`;
      ip('netns', 'add', name);
      created.add(name);
      // Deleting the namespace destroys its end of the pair, and with it the host end.
      ip('link', 'add', `${name}o`, 'type', 'veth', 'peer', 'name', `${name}i`);
      ip('link', 'set', `${name}i`, 'netns', name);
      ip('addr', 'add', `${hostAddress}/30`, 'dev', `${name}o`);
      ip('link', 'set', `${name}o`, 'up');
      ip('netns', 'exec', name, 'ip', 'addr', 'add', `${address}/30`, 'dev', `${name}i`);
      ip('netns', 'exec', name, 'ip', 'link', 'set', `${name}i`, 'up');
      ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
      hosts.push({ name, hostAddress, address, exec: ['ip', 'netns', 'exec', name] });
    }
  } catch (err) {
    removeHosts();
    throw err;
  }
  return hosts;
}

export function removeHosts(): void {
  for (const name of created) {
    try {
      ip('netns', 'del', name);
    } catch {
      /* already gone */
    }
    created.delete(name);
  }
}

export interface Forwarder {
  port: number;
  close(): Promise<void>;
}

/** Accepts on listenHost (an ephemeral port) and pipes each connection to target host:port. */
export function forward(listenHost: string, target: { host: string; port: number }): Promise<Forwarder> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}
