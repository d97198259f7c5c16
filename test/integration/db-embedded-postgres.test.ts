/**
 * The embedded PostgreSQL lifecycle on a real server of its own (a temp data dir, not DATABASE_URL):
 * reuse by a second caller, stop without leftovers, and recovery from a crashed owner.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import postgres from 'postgres';
import { until } from './support/until.js';
import { credentialsFile, findRunningPostgres, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/stack/postgres.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const home = mkdtempSync(path.join(tmpdir(), 'danq-sweep-pg-test-'));
const dataDir = path.join(home, 'pg');
const handles: EmbeddedPostgres[] = [];
after(async () => {
  for (const handle of handles) await handle.stop();
  rmSync(home, { recursive: true, force: true });
});

async function start(): Promise<EmbeddedPostgres> {
  const handle = await startEmbeddedPostgres({ dataDir, port: 0 });
  handles.push(handle);
  return handle;
}

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2 });
  try {
    return (await sql`select 1 as one`)[0]?.one === 1;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Running processes among pids (a zombie has exited; it only waits for its parent to reap it). */
function stillRunning(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
        .trim()
        .startsWith('Z');
    } catch {
      return false; // no such process
    }
  });
}

const idOf = (flag: '-u' | '-g') => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .map(Number);
  } catch {
    return [];
  }
}

/** Runs a Node process that starts the server on dataDir, prints its pid, then idles (`hold`) or exits. */
async function ownerProcess(mode: 'hold' | 'exit'): Promise<{ pid: number; postmasterPid: number; exited: Promise<void> }> {
  const script = `
    const { startEmbeddedPostgres } = await import(${JSON.stringify(new URL('../../src/stack/postgres.ts', import.meta.url).href)});
    const pg = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: 0 });
    console.log(pg.pid);
    if (${JSON.stringify(mode)} === 'hold') setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = (await lines.next()).value as string | undefined;
  assert.ok(line, 'the owner process printed the postmaster pid');
  return { pid: child.pid!, postmasterPid: Number(line), exited };
}

describe('embedded PostgreSQL', { concurrency: false }, () => {
  let crashLeftover = '';

  it('starts, is found by a second caller who shares it, and stop() leaves no postgres process', async () => {
    const owner = await start();
    assert.equal(owner.ownership, 'started');
    assert.ok(await answers(owner.url));
    const found = await findRunningPostgres(dataDir);
    assert.deepEqual(found, { url: owner.url, port: owner.port, pid: owner.pid, ownerPid: process.pid });

    const second = await start();
    assert.deepEqual([second.ownership, second.url, second.pid], ['shared', owner.url, owner.pid]);
    await second.stop();
    assert.ok(await answers(owner.url), "a sharer's stop() leaves the server running");

    crashLeftover = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
    const processes = [owner.pid, ...childrenOf(owner.pid)];
    assert.ok(processes.length > 2, 'the postmaster has background processes');
    await owner.stop();
    assert.deepEqual(stillRunning(processes), []);
    assert.equal(await findRunningPostgres(dataDir), undefined);
    await owner.stop(); // idempotent
  });

  it('has a random superuser password in a 0600 file, refuses the old fixed one, and gives the API a role that can only read', async () => {
    const server = await start();
    try {
      assert.equal(statSync(credentialsFile(dataDir)).mode & 0o777, 0o600);
      const { owner } = JSON.parse(readFileSync(credentialsFile(dataDir), 'utf8')) as { owner: string };
      assert.ok(server.url.includes(`:${owner}@127.0.0.1:`));
      assert.equal(await answers(`postgres://postgres:postgres@127.0.0.1:${server.port}/sweep`), false, 'the old fixed password is refused');

      const owned = postgres(server.url, { max: 1, onnotice: () => {} });
      const reader = postgres(server.readerUrl, { max: 1, onnotice: () => {} });
      try {
        await owned`create table if not exists reader_probe (n int)`;
        await owned`insert into reader_probe values (1)`;
        assert.deepEqual([...(await reader`select n from reader_probe`)], [{ n: 1 }], 'the reader reads tables the owner creates later');
        await assert.rejects(reader`insert into reader_probe values (2)`, { code: '42501' });
        await assert.rejects(reader`create table reader_own (n int)`, { code: '42501' });
        await assert.rejects(reader.unsafe(`copy (select 1) to program 'true'`), { code: '42501' });
        await owned`drop table reader_probe`;
      } finally {
        await owned.end();
        await reader.end();
      }
    } finally {
      await server.stop();
    }
  });

  it('moves a data directory initialised with the old fixed password onto a random one at its next start', async () => {
    const server = await start();
    const owned = postgres(server.url, { max: 1, onnotice: () => {} });
    await owned.unsafe(`alter role postgres password 'postgres'`);
    await owned.end();
    await server.stop();
    rmSync(credentialsFile(dataDir));

    const migrated = await start();
    try {
      assert.ok(await answers(migrated.url));
      assert.ok(await answers(migrated.readerUrl));
      assert.equal(await answers(`postgres://postgres:postgres@127.0.0.1:${migrated.port}/sweep`), false);
      assert.equal(statSync(credentialsFile(dataDir)).mode & 0o777, 0o600);
    } finally {
      await migrated.stop();
    }
  });

  it('recovers from a stale postmaster.pid whose pid now belongs to another program', async () => {
    // Run by the server's user: PostgreSQL itself already ignores a pid it may not signal.
    const impostor = spawn('sleep', ['60'], process.getuid?.() === 0 ? { uid: idOf('-u'), gid: idOf('-g') } : {});
    try {
      const lines = crashLeftover.split('\n');
      lines[0] = String(impostor.pid);
      writeFileSync(path.join(dataDir, 'postmaster.pid'), lines.join('\n'));
      const server = await start();
      assert.equal(server.ownership, 'started');
      assert.ok(await answers(server.url));
      await server.stop();
    } finally {
      impostor.kill();
    }
  });

  it('adopts the server of an owner that was SIGKILLed, and stops it', async () => {
    const owner = await ownerProcess('hold');
    process.kill(owner.pid, 'SIGKILL');
    await owner.exited;
    const orphan = await findRunningPostgres(dataDir);
    assert.equal(orphan?.pid, owner.postmasterPid, 'the orphaned server still runs');
    assert.equal(orphan?.ownerPid, undefined);

    const adopted = await start();
    assert.deepEqual([adopted.ownership, adopted.pid], ['adopted', owner.postmasterPid]);
    await adopted.stop();
    assert.deepEqual(stillRunning([owner.postmasterPid]), []);
  });

  it('stops the server when its owner exits without calling stop()', async () => {
    const owner = await ownerProcess('exit');
    await owner.exited;
    await until('the postmaster to exit', () => stillRunning([owner.postmasterPid]).length === 0 || undefined, 15_000);
    assert.equal(await findRunningPostgres(dataDir), undefined);
  });
});
