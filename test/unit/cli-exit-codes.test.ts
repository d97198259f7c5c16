// Exit codes through the real CLI: a service that cannot be reached is exit 4 (try again later),
// not 2 (bad input), and every command's --help lists the codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runSweepCli } from '../support/cli.js';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('PostgreSQL or Temporal unreachable: exit 4 with one line naming the setting', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'danq-sweep-exit-'));
  try {
    const env = { ...process.env, SWEEP_HOME: home, DATABASE_URL: `postgres://u:p@127.0.0.1:${await closedPort()}/sweep`, TEMPORAL_ADDRESS: `127.0.0.1:${await closedPort()}` };
    for (const args of [['status', 'sweep-x'], ['list'], ['cancel', 'sweep-x']]) {
      const { code, stderr } = await runSweepCli(args, { env });
      assert.equal(code, 4, `sweep ${args.join(' ')}: ${stderr}`);
      assert.match(stderr, /^error: (cannot connect to PostgreSQL at 127\.0\.0\.1:\d+: connection refused|TEMPORAL_ADDRESS: cannot reach the Temporal server)/, args.join(' '));
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("every command's --help lists the exit codes", async () => {
  const { stdout } = await runSweepCli(['--help']);
  const commands = stdout
    .slice(stdout.indexOf('Commands:'))
    .split('\n')
    .slice(1)
    .map((line) => /^ {2}([a-z-]+) /.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
  assert.ok(commands.length >= 10, stdout);
  for (const name of ['', ...commands]) {
    const help = (await runSweepCli(name ? [name, '--help'] : ['--help'])).stdout;
    assert.match(help, /Exit codes: 0 done; 2 bad input, usage or configuration; 3 the sweep failed .*\n +4 a service it needs \(PostgreSQL, Temporal\) cannot be reached/, name || 'sweep --help');
  }
});
