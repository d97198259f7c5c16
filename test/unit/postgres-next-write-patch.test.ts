// The install-time guard of postgres.js's nextWrite (infra/patches/postgres-next-write.ts): without it
// a connection closed between a write and its setImmediate kills the process (a train worker died
// that way with PostgreSQL down 90 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ORIGINAL, PATCHED, installedConnectionFiles, patchNextWrite } from '../../infra/patches/postgres-next-write.js';

test('the installed postgres.js carries the nextWrite guard, in its ESM and CommonJS copies', () => {
  const files = installedConnectionFiles();
  assert.equal(files.length, 2);
  for (const file of files) assert.ok(readFileSync(file, 'utf8').includes(PATCHED), `${file}: npm's postinstall did not apply the guard`);
});

test('the patch applies once, keeps the rest of the file, and refuses code it was not written for', () => {
  const original = `before\n${ORIGINAL}\n    after`;
  const patched = patchNextWrite(original, 'connection.js');
  assert.equal(patched, `before\n${PATCHED}\n    after`);
  assert.equal(patchNextWrite(patched, 'connection.js'), patched, 'idempotent');
  assert.throws(() => patchNextWrite('function nextWrite(fn) { socket?.write(chunk, fn) }', 'x/connection.js'), /x\/connection\.js: nextWrite is not the code this patch was written for/);
});

test("npm's postinstall runs the patch, and the worker image copies it before its npm ci", () => {
  const root = new URL('../../', import.meta.url);
  const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.match(scripts.postinstall ?? '', /infra\/patches\/postgres-next-write\.ts/);
  const dockerfile = readFileSync(new URL('infra/docker/worker.Dockerfile', root), 'utf8');
  const copied = dockerfile.indexOf('COPY infra/patches ./infra/patches');
  assert.ok(copied >= 0 && copied < dockerfile.indexOf('RUN npm ci'), 'infra/patches is copied before the first npm ci');
});
