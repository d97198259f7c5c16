/** Shared by the data-*.test.ts files: temp folders and prepare-with-defaults. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { UserError } from '../../src/errors.js';
import { prepareDataset, type DatasetSpec } from '../../src/data/index.js';

/** A temp folder removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'danq-data-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function write(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

export function prepare(dir: string, spec: DatasetSpec, seqLen = 8) {
  return prepareDataset(spec, { seqLen, baseDir: dir, cacheDir: path.join(dir, 'cache') });
}

/** Asserts that prepare fails with a UserError (exit code 2) whose message matches every pattern. */
export async function rejectsWith(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<string> {
  let message = '';
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    message = err.message;
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
  return message;
}

/** Base codes back to letters (ambiguity codes and "no base" read as N). */
export function codesToString(codes: Uint8Array): string {
  return Array.from(codes, (code) => 'ACGTNN'[code] ?? '?').join('');
}

/** The reverse complement of a string over A, C, G, T, N (case kept). */
export function reverseComplementString(seq: string): string {
  const pairs: Record<string, string> = { A: 'T', C: 'G', G: 'C', T: 'A', a: 't', c: 'g', g: 'c', t: 'a' };
  return Array.from(seq, (ch) => pairs[ch] ?? ch)
    .reverse()
    .join('');
}
