/** The artifact store on a real full disk (a 1 MB tmpfs): a put waits for space, says so once, and lands whole when space is freed. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openArtifactStore, waitingOutFullDisk } from '../../src/artifacts/index.js';
import { pollUntil } from '../../src/poll.js';
import { mountSmallDisk, smallDiskUnavailable } from '../support/small-disk.js';

const skip = smallDiskUnavailable();

function fill(file: string): void {
  try {
    writeFileSync(file, Buffer.alloc(2 * 1024 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
}

test('a put on a full disk waits for space, keeps the last complete file, and says so once each way', { skip }, async (t) => {
  const disk = mountSmallDisk('1m');
  t.after(() => disk.remove());
  const lines: string[] = [];
  const store = waitingOutFullDisk(await openArtifactStore(disk.dir), { owner: 'sweep S, trial T', setting: 'SWEEP_ARTIFACTS', warn: (line) => lines.push(line) });
  const good = Buffer.from('the last complete checkpoint');
  await store.put('T/checkpoint.bin', good);
  const filler = path.join(disk.dir, 'filler');
  fill(filler);

  const next = [Buffer.alloc(100 * 1024, 1), Buffer.alloc(100 * 1024, 2)];
  const writing = store.put('T/checkpoint.bin', next);
  await pollUntil(() => (lines.length > 0 ? true : undefined), { timeoutMs: 10_000, timeoutError: () => new Error('no warning about the full disk') });
  assert.match(lines[0]!, new RegExp(`^sweep S, trial T: no space to write ${disk.dir}/T/checkpoint\\.bin \\(ENOSPC on the disk of SWEEP_ARTIFACTS\\): waiting for space`));
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // a few more tries, still one line
  assert.equal(lines.length, 1);
  assert.deepEqual(readFileSync(path.join(disk.dir, 'T', 'checkpoint.bin')), good, 'the last complete file stays while waiting');

  rmSync(filler);
  await writing;
  assert.deepEqual(readFileSync(path.join(disk.dir, 'T', 'checkpoint.bin')), Buffer.concat(next));
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /^sweep S, trial T: the disk of SWEEP_ARTIFACTS has space again after \d+ s/);
  assert.deepEqual(readdirSync(path.join(disk.dir, 'T')), ['checkpoint.bin'], 'no temp file is left behind');
});

test('a put that was given up on fails with the disk-full error', { skip }, async (t) => {
  const disk = mountSmallDisk('1m');
  t.after(() => disk.remove());
  const store = waitingOutFullDisk(await openArtifactStore(disk.dir), { owner: 'o', setting: 'SWEEP_MODELS', warn: () => {}, givenUp: () => true });
  fill(path.join(disk.dir, 'filler'));
  await assert.rejects(store.put('model.json', Buffer.alloc(64 * 1024)), { code: 'ENOSPC' });
});
