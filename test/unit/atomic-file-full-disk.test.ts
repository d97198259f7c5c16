/** Atomic writes on a real full disk (a 1 MB tmpfs): the write fails with ENOSPC, the previous file stays whole, no temp file is left. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { writeFileAtomically, writeFileAtomicallyFrom } from '../../src/atomic-file.js';
import { mountSmallDisk, smallDiskUnavailable } from '../support/small-disk.js';

const skip = smallDiskUnavailable();

const good = Buffer.from('the previous good content\n');
// More than the whole disk, in pieces: the kernel accepts part of a write and reports only the count.
const tooBig = () => Array.from({ length: 6 }, (_, i) => Buffer.alloc(300 * 1024, i + 1));

const writers: [string, (file: string, chunks: Buffer[]) => Promise<void> | void][] = [
  ['sync, chunks', (file, chunks) => writeFileAtomically(file, chunks)],
  ['sync, one buffer', (file, chunks) => writeFileAtomically(file, [Buffer.concat(chunks)])],
  ['async, one buffer', (file, chunks) => writeFileAtomicallyFrom(file, Buffer.concat(chunks))],
  ['async, chunks in memory', (file, chunks) => writeFileAtomicallyFrom(file, chunks)],
  [
    'async, a stream',
    (file, chunks) =>
      writeFileAtomicallyFrom(
        file,
        (async function* () {
          yield* chunks;
        })(),
      ),
  ],
];

for (const [name, write] of writers) {
  test(`${name}: a write larger than the free space throws ENOSPC and keeps the previous file`, { skip }, async (t) => {
    const disk = mountSmallDisk('1m');
    t.after(() => disk.remove());
    const dir = disk.dir;
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.bin`);
    await writeFileAtomicallyFrom(file, good);
    await assert.rejects(async () => await write(file, tooBig()), { code: 'ENOSPC' });
    assert.deepEqual(readFileSync(file), good, 'the previous file is intact');
    assert.deepEqual(readdirSync(dir), [path.basename(file)], 'no temp file is left behind');
    await write(file, [Buffer.from('small enough\n')]);
    assert.equal(readFileSync(file, 'utf8'), 'small enough\n', 'the disk works again once the write fits');
    await writeFileAtomicallyFrom(file, []);
    readdirSync(dir).forEach((f) => assert.equal(f, path.basename(file)));
  });
}
